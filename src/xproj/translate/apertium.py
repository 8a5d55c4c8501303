"""The Apertium translator: Debian's rule-based machine translation, run as a command.

Apertium runs offline on a CPU in milliseconds per sentence; Debian packages it with language
pairs such as ``apertium-eng-spa``, ``apertium-eng-cat`` and ``apertium-eu-en``::

    apt-get install apertium apertium-eng-spa apertium-eng-cat apertium-eu-en

The installed translation directions (Apertium's *modes*, ``spa-eng``, ``eu-en`` ...) are
discovered with ``apertium -l`` and matched to ISO 639 codes, so ``Sentence.lang == "es"`` and
``tgt_lang="en"`` select ``spa-eng``.

A batch goes through one ``apertium`` process per language pair: sentences are joined as
blank-line-separated paragraphs, which Apertium translates as separate sentences and keeps
separate, and the output is split back at the blank lines. The number of paragraphs that come
back is checked; a sentence that breaks the count is named in the error.

Apertium marks words it could not translate: ``*`` (unknown to the analyser), ``@`` (missing from
the bilingual dictionary), ``#`` (not generated). With ``strip_marks=True`` (the default) the marks
are removed, and counted in the report :meth:`ApertiumTranslator.translate_reported` returns.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xproj.errors import InputError, ParameterError, XprojError
from xproj.params import InstanceOf, Interval, NoneOr, Predicate
from xproj.reported import Reported
from xproj.text import WordSplitter, split_words
from xproj.translate.base import Translator
from xproj.translate.langcodes import to_iso639_3
from xproj.types import Sentence

__all__ = ["ApertiumError", "ApertiumReport", "ApertiumTranslator", "parse_modes"]

DEBIAN_PACKAGES: dict[tuple[str, str], str] = {
    ("spa", "eng"): "apertium-eng-spa",
    ("eng", "spa"): "apertium-eng-spa",
    ("cat", "eng"): "apertium-eng-cat",
    ("eng", "cat"): "apertium-eng-cat",
    ("eus", "eng"): "apertium-eu-en",
}
"""Debian (bookworm) packages of the English pairs xproj is tested with, per direction, for
install hints in error messages (``apertium-eu-en`` translates Basque into English only)."""

_MARK = re.compile(r"(?<![^\s(\[{\"'«“‘¿¡])([*@#])(?=\w)(\w+)")


class ApertiumError(XprojError, RuntimeError):
    """The ``apertium`` command is missing, failed, or returned an unusable translation."""


@dataclass(frozen=True)
class ApertiumReport:
    """What happened in one :meth:`ApertiumTranslator.translate_reported` call.

    Parameters
    ----------
    n_sentences
        Sentences in the batch (as many came out).
    n_empty
        Empty input sentences, returned empty without calling Apertium.
    n_identity
        Sentences already in the target language, returned unchanged.
    n_calls
        ``apertium`` processes run (one per language pair in the batch).
    n_unknown, n_untranslated, n_not_generated
        Words marked ``*``, ``@`` and ``#`` by Apertium (stripped when ``strip_marks``).
    n_empty_output
        Non-empty sentences whose translation came back empty (returned as empty sentences).
    """

    n_sentences: int = 0
    n_empty: int = 0
    n_identity: int = 0
    n_calls: int = 0
    n_unknown: int = 0
    n_untranslated: int = 0
    n_not_generated: int = 0
    n_empty_output: int = 0


def parse_modes(names: Sequence[str]) -> dict[tuple[str, str], str]:
    """Map ``(source, target)`` ISO 639-3 pairs to Apertium mode names.

    Modes are ``SRC-TGT`` with optional variants after an underscore (``spa-eng_US``,
    ``eng-cat_valencia``); the plain mode is preferred over variants. Names whose languages are
    not ISO codes are skipped.

    Examples
    --------
    >>> parse_modes(["spa-eng", "spa-eng_US", "eu-en", "eng-cat_valencia", "eng-cat"])
    {('eng', 'cat'): 'eng-cat', ('eus', 'eng'): 'eu-en', ('spa', 'eng'): 'spa-eng'}
    """
    out: dict[tuple[str, str], str] = {}
    for name in sorted(names, key=lambda n: ("_" in n, n)):
        parts = name.split("-")
        if len(parts) != 2:
            continue
        try:
            pair = (to_iso639_3(parts[0].split("_")[0]), to_iso639_3(parts[1].split("_")[0]))
        except InputError:
            continue
        out.setdefault(pair, name)
    return out


def _is_splitter(value: Any) -> bool:
    return callable(value)


def _mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


@dataclass(kw_only=True)
class ApertiumTranslator(Translator):
    """Translate with Apertium, installed from Debian's packages.

    Parameters
    ----------
    command
        The ``apertium`` executable (a name on ``PATH`` or a path).
    data_dir
        A directory with a ``modes/`` folder of locally built pairs (``apertium -d``); default:
        the system's (``/usr/share/apertium``).
    modes
        Modes to use instead of the discovered ones, keyed ``"SRC-TGT"`` by ISO codes, e.g.
        ``{"en-ca": "eng-cat_valencia"}``.
    strip_marks
        Remove Apertium's unknown-word marks (``*``, ``@``, ``#``); they are counted either way.
        Marks that were already in the source text are kept.
    splitter
        Splits each translation into words (default :func:`xproj.text.split_words`).
    timeout
        Seconds one ``apertium`` process may run, or ``None`` for no limit.

    Reports
    -------
    :meth:`translate_reported` returns the counts of :class:`ApertiumReport` as its
    ``report``, and in ``per_item["texts"]`` the translations as text (marks stripped as
    configured), before word splitting (``""`` for empty sentences).

    Examples
    --------
    >>> tr = ApertiumTranslator()
    >>> es = [Sentence(("La", "casa", "es", "grande", "."), "es")]
    >>> out = tr.translate(es, "en")  # doctest: +SKIP
    >>> out[0].words  # doctest: +SKIP
    ('The', 'house', 'is', 'big', '.')
    """

    command: str = "apertium"
    data_dir: str | Path | None = None
    modes: Mapping[str, str] | None = None
    strip_marks: bool = True
    splitter: WordSplitter = split_words
    timeout: float | None = None
    _pairs: dict[tuple[str, str], str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    _constraints = {
        "command": InstanceOf((str,)),
        "data_dir": NoneOr(InstanceOf((str, Path))),
        "modes": NoneOr(Predicate(_mapping, "a mapping of 'SRC-TGT' codes to Apertium modes")),
        "strip_marks": InstanceOf((bool,)),
        "splitter": Predicate(_is_splitter, "a function from a string to a list of words"),
        "timeout": NoneOr(Interval(float, 0, None, closed="neither")),
    }

    # -- the apertium command ------------------------------------------------------------

    def _base_args(self) -> list[str]:
        exe = shutil.which(self.command)
        if exe is None:
            raise ApertiumError(
                f"the Apertium command {self.command!r} was not found on PATH. Install Debian's "
                "Apertium with its pairs, e.g. `apt-get install apertium apertium-eng-spa "
                "apertium-eng-cat apertium-eu-en`, or set command= to its path"
            )
        args = [exe]
        if self.data_dir is not None:
            args += ["-d", str(self.data_dir)]
        return args

    def _run(self, args: list[str], text: str) -> str:
        try:
            done = subprocess.run(
                args,
                input=text,
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ApertiumError(
                f"`{' '.join(args)}` ran longer than timeout={self.timeout} s; raise the timeout "
                "or translate smaller batches"
            ) from None
        if done.returncode != 0:
            raise ApertiumError(
                f"`{' '.join(args)}` failed with exit status {done.returncode}: "
                f"{done.stderr.strip() or done.stdout.strip()}"
            )
        return done.stdout

    def available_pairs(self) -> dict[tuple[str, str], str]:
        """The installed directions: ``(source, target)`` ISO 639-3 codes -> Apertium mode.

        >>> ApertiumTranslator().available_pairs()[("spa", "eng")]  # doctest: +SKIP
        'spa-eng'
        """
        if self._pairs is None:
            listing = self._run([*self._base_args(), "-l"], "")
            self._pairs = parse_modes([ln.strip() for ln in listing.splitlines() if ln.strip()])
        return dict(self._pairs)

    def mode_for(self, src_lang: str, tgt_lang: str) -> str:
        """The Apertium mode that translates ``src_lang`` into ``tgt_lang`` (ISO codes).

        Raises
        ------
        ApertiumError
            If no installed pair does, naming the Debian package to install when known.
        """
        src, tgt = to_iso639_3(src_lang), to_iso639_3(tgt_lang)
        for key, mode in (self.modes or {}).items():
            a, sep, b = key.partition("-")
            if sep and (to_iso639_3(a), to_iso639_3(b)) == (src, tgt):
                return mode
        pairs = self.available_pairs()
        if (src, tgt) in pairs:
            return pairs[(src, tgt)]
        package = DEBIAN_PACKAGES.get((src, tgt))
        if package:
            hint = f"install it with `apt-get install {package}`"
        else:
            hint = (
                "look for a pair package with `apt-cache search apertium | grep -i "
                f"-e {src} -e {tgt}` (Debian names them apertium-LANG1-LANG2)"
            )
            if (tgt, src) in pairs:
                hint = (
                    f"the installed {pairs[(tgt, src)]} pair only translates the other way; " + hint
                )
        have = ", ".join(f"{a}->{b} ({m})" for (a, b), m in sorted(pairs.items())) or "none"
        raise ApertiumError(
            f"no installed Apertium pair translates {src_lang!r} ({src}) into {tgt_lang!r} "
            f"({tgt}); {hint}. Installed directions: {have}"
        )

    # -- translation ---------------------------------------------------------------------

    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> Reported[Sentence]:
        groups: dict[str, tuple[str, list[int]]] = {}
        tgt = to_iso639_3(tgt_lang)
        for k, s in enumerate(sentences):
            if s.lang is None:
                raise InputError(
                    "the sentence has no language: set Sentence.lang (e.g. 'es') so Apertium "
                    "knows which pair to use",
                    sentence=k,
                )
            try:
                groups.setdefault(to_iso639_3(s.lang), (s.lang, []))[1].append(k)
            except InputError as e:
                raise e.at(sentence=k) from None
        out: list[Sentence | None] = [None] * len(sentences)
        raw = [""] * len(sentences)
        counts = {"empty": 0, "identity": 0, "calls": 0, "*": 0, "@": 0, "#": 0, "empty_out": 0}
        for src, (src_lang, idx) in groups.items():
            todo = []
            for k in idx:
                if len(sentences[k]) == 0:
                    out[k] = Sentence((), tgt_lang)
                    counts["empty"] += 1
                elif src == tgt:
                    out[k] = Sentence(sentences[k].words, tgt_lang)
                    raw[k] = sentences[k].text
                    counts["identity"] += 1
                else:
                    todo.append(k)
            if not todo:
                continue
            mode = self.mode_for(src_lang, tgt_lang)
            texts = self._translate_texts([sentences[k].text for k in todo], mode, todo)
            counts["calls"] += 1
            for k, text in zip(todo, texts):
                text = raw[k] = self._marks(text, sentences[k].text, counts)
                words = self._split(text, k)
                if not words:
                    counts["empty_out"] += 1
                out[k] = Sentence(tuple(words), tgt_lang)
        report = ApertiumReport(
            n_sentences=len(sentences),
            n_empty=counts["empty"],
            n_identity=counts["identity"],
            n_calls=counts["calls"],
            n_unknown=counts["*"],
            n_untranslated=counts["@"],
            n_not_generated=counts["#"],
            n_empty_output=counts["empty_out"],
        )
        done = [s for s in out if s is not None]
        assert len(done) == len(sentences)
        return Reported(done, asdict(report), {"texts": raw})

    def _translate_texts(self, texts: list[str], mode: str, index: list[int]) -> list[str]:
        """Translate texts (no blank lines in them) in one process; one output per text."""
        args = [*self._base_args(), "-f", "txt", mode]
        raw = self._run(args, "\n\n".join(texts) + "\n")
        parts = raw.rstrip("\n").split("\n\n")
        if len(parts) == len(texts):
            return [p.replace("\n", " ").strip() for p in parts]
        # find the sentence that broke the paragraph count, to name it
        for k, text in zip(index, texts):
            alone = self._run(args, text + "\n").rstrip("\n").split("\n\n")
            if len(alone) != 1:
                raise ApertiumError(
                    f"sentence {k}: Apertium ({mode}) turned {text!r} into {len(alone)} "
                    "paragraphs, so the batch's translations cannot be matched to its "
                    "sentences; translate this sentence alone or remove what Apertium splits"
                )
        raise ApertiumError(
            f"Apertium ({mode}) returned {len(parts)} paragraphs for {len(texts)} sentences "
            f"(sentences {index[0]}..{index[-1]}), though each alone translates to one; "
            "translate smaller batches"
        )

    def _marks(self, text: str, source: str, counts: dict[str, int]) -> str:
        def fix(m: re.Match[str]) -> str:
            if m.group(0) in source:  # the mark was in the input, not added by Apertium
                return m.group(0)
            counts[m.group(1)] += 1
            return m.group(2) if self.strip_marks else m.group(0)

        return _MARK.sub(fix, text)

    def _split(self, text: str, k: int) -> list[str]:
        words = list(self.splitter(text))
        for i, w in enumerate(words):
            if not isinstance(w, str) or not w or any(c.isspace() for c in w):
                raise ParameterError(
                    f"the splitter {_name(self.splitter)} returned word {i} {w!r} for the "
                    f"translation of sentence {k} ({text!r}); words must be non-empty strings "
                    "without whitespace"
                )
        return words


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)
