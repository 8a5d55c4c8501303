"""The parallel translator: serves existing (human) translations instead of translating.

Every flow that needs a translator then runs on parallel text: the translations are read from
line-aligned files (line ``i`` translates input sentence ``i``) or given as a list, and handed
out in order, split into words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xproj.errors import InputError, ParameterError
from xproj.io._files import read_lines
from xproj.params import InstanceOf, NoneOr, Predicate
from xproj.text import WordSplitter, split_words
from xproj.translate.base import Translator
from xproj.translate.langcodes import to_iso639_3
from xproj.types import Sentence

__all__ = ["ParallelTranslator"]


def _paths(value: Any) -> bool:
    if isinstance(value, (str, Path)):
        return True
    return (
        isinstance(value, Sequence)
        and len(value) > 0
        and all(isinstance(p, (str, Path)) for p in value)
    )


def _texts(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and all(isinstance(t, (str, Sentence)) for t in value)
    )


@dataclass(kw_only=True)
class ParallelTranslator(Translator):
    """Serve existing translations, one per input sentence, in order.

    Parameters
    ----------
    path
        A line-aligned text file of translations (one per line, UTF-8), or a list of files
        read one after the other (e.g. one per document). Give exactly one of ``path`` and
        ``sentences``.
    sentences
        The translations themselves: strings (split with ``splitter``) or
        :class:`~xproj.types.Sentence` objects (used as they are).
    lang
        The language of the translations (ISO code). When set, asking for another target
        language is an error; when ``None``, any ``tgt_lang`` is accepted.
    splitter
        Splits each line into words (default :func:`xproj.text.split_words`; use
        :func:`xproj.text.split_whitespace` for files that are already tokenised).

    Raises
    ------
    InputError
        From :meth:`translate`, when the number of translations differs from the number of
        sentences (naming the file and both counts), or when a line is empty but its source
        sentence is not (naming the file and line).

    Examples
    --------
    >>> tr = ParallelTranslator(sentences=["Das Haus ist groß.", "Guten Tag!"], lang="de")
    >>> [s.words for s in tr.translate([Sentence(("The", "house", "is", "big", "."), "en"),
    ...                                 Sentence(("Good", "day", "!"), "en")], "de")]
    [('Das', 'Haus', 'ist', 'groß', '.'), ('Guten', 'Tag', '!')]
    """

    path: str | Path | Sequence[str | Path] | None = None
    sentences: Sequence[str | Sentence] | None = None
    lang: str | None = None
    splitter: WordSplitter = split_words
    _cache: list[tuple[str | Sentence, str, int | None]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    _constraints = {
        "path": NoneOr(Predicate(_paths, "a file path or a non-empty list of file paths")),
        "sentences": NoneOr(Predicate(_texts, "a list of strings or Sentence objects")),
        "lang": NoneOr(InstanceOf((str,))),
        "splitter": Predicate(callable, "a function from a string to a list of words"),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.path is None) == (self.sentences is None):
            raise ParameterError("give ParallelTranslator exactly one of path= or sentences=")
        if self.lang is not None:
            to_iso639_3(self.lang)

    @property
    def _where(self) -> str:
        if self.path is None:
            return "the sentences given"
        if isinstance(self.path, (str, Path)):
            return str(self.path)
        return " + ".join(str(p) for p in self.path)

    def _load(self) -> list[tuple[str | Sentence, str, int | None]]:
        """Each translation with the file and 1-based line it came from."""
        if self._cache is None:
            if self.sentences is not None:
                self._cache = [(t, "the sentences given", None) for t in self.sentences]
            else:
                assert self.path is not None
                paths = [self.path] if isinstance(self.path, (str, Path)) else list(self.path)
                self._cache = [
                    (line, str(p), n)
                    for p in paths
                    for n, line in enumerate(read_lines(p), start=1)
                ]
        return self._cache

    def __len__(self) -> int:
        """How many translations there are."""
        return len(self._load())

    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        if self.lang is not None and to_iso639_3(tgt_lang) != to_iso639_3(self.lang):
            raise InputError(
                f"{self._where} holds {self.lang!r} translations, but {tgt_lang!r} was asked "
                "for; give the file of that language or set lang= to match"
            )
        table = self._load()
        if len(table) != len(sentences):
            raise InputError(
                f"{self._where} holds {len(table)} translations but {len(sentences)} sentences "
                "were given; give one translation per sentence, in order (line i translates "
                "sentence i)"
            )
        out = []
        for k, (src, (item, where, line)) in enumerate(zip(sentences, table)):
            if isinstance(item, Sentence):
                out.append(Sentence(item.words, tgt_lang))
                continue
            words = self.splitter(item)
            if not words and len(src):
                raise InputError(
                    f"the translation of sentence {k} is empty, but the sentence is not "
                    f"({src.text!r}); the file is probably misaligned",
                    path=None if line is None else where,
                    line=line,
                    sentence=k,
                )
            try:
                out.append(Sentence(tuple(words), tgt_lang))
            except InputError as e:
                raise InputError(
                    f"the splitter returned an unusable word for this translation: {e.message}",
                    path=None if line is None else where,
                    line=line,
                    sentence=k,
                ) from None
        return out
