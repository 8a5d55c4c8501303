"""Read and write parallel text: line-aligned plain-text files and ``src ||| tgt`` files.

Every line is a sentence and every line is kept: an empty line gives a sentence of no words
(e.g. an empty translation), so sentence ``k`` always comes from line ``k + 1``. Plain text is
split into words by :func:`xproj.text.split_words` unless another
:data:`~xproj.text.WordSplitter` is given; ``src ||| tgt`` files (the format of fast_align and
awesome-align) are already tokenised and are split on whitespace.

Examples
--------
>>> import io
>>> src, tgt = read_src_tgt(io.StringIO("the house ||| das Haus\\n"), src_lang="en")
>>> src[0].words, tgt[0].words, src[0].lang
(('the', 'house'), ('das', 'Haus'), 'en')
>>> read_text(io.StringIO("Mr. Smith's car.\\n\\n")).__len__()
2
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from xproj.errors import InputError
from xproj.io._files import read_lines, source_name
from xproj.io.tags import _parse_enum
from xproj.text import WordSplitter, split_words
from xproj.types import Sentence

__all__ = [
    "WhitespaceWords",
    "read_parallel_text",
    "read_src_tgt",
    "read_text",
    "write_src_tgt",
]

_SEP = "|||"
_ASCII_BLANKS = re.compile(r"[ \t]+")
_UNICODE_SPACE = re.compile(r"\s")


class WhitespaceWords(str, enum.Enum):
    """What :func:`read_src_tgt` does with a token that contains non-ASCII whitespace.

    Tokenised files separate words by ASCII spaces, so a token may itself be (or contain) a
    character such as U+3000 IDEOGRAPHIC SPACE (the ja-en gold set has five). xproj words
    cannot contain whitespace. ``ERROR`` (the default) raises naming the file and line;
    ``REPLACE`` replaces each such character by ``_``, keeping the token, so that word
    indices still match the file's (and a gold alignment's).
    """

    ERROR = "error"
    REPLACE = "replace"

    @classmethod
    def parse(cls, value: WhitespaceWords | str) -> WhitespaceWords:
        """The policy named by ``value``."""
        return _parse_enum(cls, value, "whitespace-in-words policy")


def _split_ascii(text: str) -> list[str]:
    """Split on runs of ASCII spaces and tabs only."""
    return [w for w in _ASCII_BLANKS.split(text) if w]


def _sentence(words: list[str], lang: str | None, name: str, line: int) -> Sentence:
    try:
        return Sentence(tuple(words), lang)
    except InputError as e:
        raise InputError(
            f"the word splitter returned a bad word: {e.message}", path=name, line=line
        ) from None


def read_text(
    path: str | Path | TextIO,
    *,
    lang: str | None = None,
    splitter: WordSplitter = split_words,
    encoding: str = "utf-8",
) -> list[Sentence]:
    """Read a plain-text file with one sentence per line.

    Parameters
    ----------
    path
        A file path or an open text stream.
    lang
        The language code stored on each sentence.
    splitter
        Splits a line into words (default :func:`xproj.text.split_words`; use
        :func:`xproj.text.split_whitespace` for text that is already tokenised).
    encoding
        The file's text encoding.

    Returns
    -------
    list of Sentence
        One per line; an empty line gives a sentence of no words.
    """
    name = source_name(path)
    return [
        _sentence(splitter(line), lang, name, n)
        for n, line in enumerate(read_lines(path, encoding), 1)
    ]


def read_parallel_text(
    src_path: str | Path | TextIO,
    tgt_path: str | Path | TextIO,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    splitter: WordSplitter = split_words,
    encoding: str = "utf-8",
) -> tuple[list[Sentence], list[Sentence]]:
    """Read two line-aligned plain-text files: line ``k`` of one translates line ``k`` of the other.

    Parameters
    ----------
    src_path, tgt_path
        The source and target files (or open text streams).
    src_lang, tgt_lang
        Language codes stored on the sentences.
    splitter
        Splits each line into words (default :func:`xproj.text.split_words`).
    encoding
        The files' text encoding.

    Returns
    -------
    (list of Sentence, list of Sentence)
        The source and the target sentences, of equal length.

    Raises
    ------
    InputError
        If the files have different numbers of lines (naming both files and both counts).
    """
    sources = read_text(src_path, lang=src_lang, splitter=splitter, encoding=encoding)
    targets = read_text(tgt_path, lang=tgt_lang, splitter=splitter, encoding=encoding)
    if len(sources) != len(targets):
        raise InputError(
            f"{source_name(src_path)} has {len(sources)} lines but {source_name(tgt_path)} "
            f"has {len(targets)}; line-aligned parallel files need one line per sentence in "
            "both (an empty line for an empty sentence)"
        )
    return sources, targets


def read_src_tgt(
    path: str | Path | TextIO,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    splitter: WordSplitter | None = None,
    whitespace_words: WhitespaceWords | str = WhitespaceWords.ERROR,
    encoding: str = "utf-8",
) -> tuple[list[Sentence], list[Sentence]]:
    """Read a ``source words ||| target words`` file (one sentence pair per line).

    Parameters
    ----------
    path
        A file path or an open text stream.
    src_lang, tgt_lang
        Language codes stored on the sentences.
    splitter
        Splits each side into words. The default splits on runs of ASCII spaces and tabs
        only, as alignment gold standards count words that way (Python's ``str.split()``
        would also split on U+3000 and shift every later index).
    whitespace_words
        ``"error"`` (default) or ``"replace"`` for tokens containing other whitespace (see
        :class:`WhitespaceWords`).
    encoding
        The file's text encoding.

    Returns
    -------
    (list of Sentence, list of Sentence)
        The source and the target sentences.

    Raises
    ------
    InputError
        Naming the file and line when a line does not contain exactly one ``|||`` separator.

    Examples
    --------
    >>> import io
    >>> try:
    ...     read_src_tgt(io.StringIO("a b ||| c\\nno separator\\n"))
    ... except InputError as e:
    ...     print(e)  # doctest: +ELLIPSIS
    <stream>:2: expected 'source words ||| target words', found 0 '|||' separators ...
    """
    name = source_name(path)
    split = _split_ascii if splitter is None else splitter
    replace = WhitespaceWords.parse(whitespace_words) is WhitespaceWords.REPLACE

    def words(text: str, n: int) -> list[str]:
        out = split(text)
        for k, w in enumerate(out):
            if _UNICODE_SPACE.search(w):
                if not replace:
                    raise InputError(
                        f"word {k} {w!r} contains whitespace "
                        f"({', '.join(f'U+{ord(c):04X}' for c in w if c.isspace())}), which "
                        "xproj words cannot; pass whitespace_words='replace' to replace it "
                        "by '_' (word indices stay as in the file)",
                        path=name,
                        line=n,
                    )
                out[k] = _UNICODE_SPACE.sub("_", w)
        return out

    sources: list[Sentence] = []
    targets: list[Sentence] = []
    for n, line in enumerate(read_lines(path, encoding), 1):
        parts = line.split(_SEP)
        if len(parts) != 2:
            raise InputError(
                f"expected 'source words ||| target words', found {len(parts) - 1} '|||' "
                f"separators in {line[:80]!r}; fix the line",
                path=name,
                line=n,
            )
        sources.append(_sentence(words(parts[0], n), src_lang, name, n))
        targets.append(_sentence(words(parts[1], n), tgt_lang, name, n))
    return sources, targets


def write_src_tgt(
    path: str | Path | TextIO,
    sources: Sequence[Sentence],
    targets: Sequence[Sentence],
    *,
    encoding: str = "utf-8",
) -> None:
    """Write sentence pairs as ``source words ||| target words`` lines.

    >>> import io
    >>> out = io.StringIO()
    >>> write_src_tgt(out, [Sentence(("a", "b"))], [Sentence(("c",))])
    >>> out.getvalue()
    'a b ||| c\\n'
    """
    if len(sources) != len(targets):
        raise InputError(
            f"{len(sources)} source sentences but {len(targets)} target sentences; give one "
            "target per source"
        )
    for k, s in enumerate([*sources, *targets]):
        if any(_SEP in w for w in s.words):
            raise InputError(
                "a word contains '|||', which this format uses as its separator",
                sentence=k % len(sources),
            )
    text = "".join(f"{s.text} {_SEP} {t.text}\n" for s, t in zip(sources, targets))
    if isinstance(path, (str, Path)):
        with open(path, "w", encoding=encoding) as f:
            f.write(text)
    else:
        path.write(text)
