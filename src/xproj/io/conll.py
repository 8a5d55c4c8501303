"""Read and write CoNLL-style NER files: one word per line, a blank line between sentences.

The reader is here; the writer (:func:`write_conll`, :class:`ConllWriteSummary`,
:class:`EmptySentences`) lives in :mod:`xproj.io._conll_write` and is imported from here.

Formats (:class:`ConllFormat`):

========== ================================= =============================================
format     a word's line                     used by
========== ================================= =============================================
tab        ``token<TAB>tag``                 Europarl-NER, CoNLL-2002-style files
space      ``token tag``                     MasakhaNER
conll2003  ``token POS chunk tag`` (spaces)  CoNLL-2003, with ``-DOCSTART-`` lines
panx       ``token<TAB>tag``, ``lang:token``  WikiANN / PAN-X (XTREME)
masakhaner same as ``space``                 MasakhaNER 2.0
auto       sniffed from the first word line  any of the above
========== ================================= =============================================

Rules common to every format:

* The token is the first column and the tag the last; ``space`` and ``conll2003`` split on runs
  of whitespace, ``tab`` and ``panx`` on single tabs. ``auto`` splits on tabs if the first word
  line has one and on whitespace otherwise, and takes its column count (at least 2) as the
  file's.
* Blank (or all-whitespace) lines end a sentence; runs of them and blank lines at the start or
  end of the file make no sentence, because these formats cannot hold an empty sentence.
* A line whose token is ``-DOCSTART-`` marks a document boundary: it ends the current sentence
  and is not a sentence itself.
* A line with the wrong number of columns or an empty token raises
  :class:`~xproj.errors.InputError` naming the file and 1-based line, and so does a tag that
  breaks the tag scheme (unless ``repair="fix"``, see :mod:`xproj.io.tags`).
* Language prefixes (``es:Madrid``, as in the original PAN-X release) are handled by
  :class:`LangPrefix`: ``auto`` (the default) strips them when every token of the file's first
  sentence carries the same 2-3 letter lowercase prefix, and then requires it on every token;
  ``strip`` requires and strips them; ``keep`` leaves tokens untouched.

Examples
--------
>>> import io
>>> text = "-DOCSTART- -X- -X- O\\n\\nEU NNP B-NP B-ORG\\nrejects VBZ B-VP O\\n\\n\\n"
>>> [s.tags for s in read_conll(io.StringIO(text), format="conll2003")]
[('B-ORG', 'O')]
>>> s = read_conll(io.StringIO("es:Madrid\\tB-LOC\\nes:es\\tO\\n"), format="panx")[0]
>>> s.words, s.lang
(('Madrid', 'es'), 'es')
>>> out = io.StringIO()
>>> write_conll(out, [s])
ConllWriteSummary(written=1, skipped=())
>>> out.getvalue()
'Madrid\\tB-LOC\\nes\\tO\\n\\n'
"""

from __future__ import annotations

import enum
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from xproj.errors import InputError, option_hint
from xproj.io._conll_write import ConllWriteSummary, EmptySentences, write_conll
from xproj.io._files import decode_error, source_name
from xproj.io.tags import (
    LabelMap,
    Repair,
    TagError,
    TagScheme,
    UnknownLabels,
    _parse_enum,
    map_labels,
    to_spans,
)
from xproj.types import LabelledSentence

__all__ = [
    "ConllFormat",
    "ConllWriteSummary",
    "EmptySentences",
    "EmptyTokens",
    "LangPrefix",
    "iter_conll",
    "read_conll",
    "sentence_lines",
    "whitespace_breaks",
    "write_conll",
]


class ConllFormat(str, enum.Enum):
    """The line layouts :func:`read_conll` understands (see the module docstring)."""

    AUTO = "auto"
    TAB = "tab"
    SPACE = "space"
    CONLL2003 = "conll2003"
    PANX = "panx"
    MASAKHANER = "masakhaner"

    @classmethod
    def parse(cls, value: ConllFormat | str) -> ConllFormat:
        """The format named by ``value``; unknown names raise an error listing the valid ones.

        >>> ConllFormat.parse("wikiann")
        <ConllFormat.PANX: 'panx'>
        """
        return _parse_enum(
            cls, value, "CoNLL format", {"wikiann": "panx", "conll": "tab", "tsv": "tab"}
        )


class LangPrefix(str, enum.Enum):
    """What to do with ``lang:`` token prefixes (see the module docstring)."""

    AUTO = "auto"
    STRIP = "strip"
    KEEP = "keep"

    @classmethod
    def parse(cls, value: LangPrefix | str) -> LangPrefix:
        """The policy named by ``value``."""
        return _parse_enum(cls, value, "lang-prefix policy")


class EmptyTokens(str, enum.Enum):
    """What :func:`read_conll` does with a word line whose token is empty (e.g. ``" O"``).

    ``ERROR`` (the default) raises naming the line; ``SKIP`` leaves the line out of its sentence
    and emits one :class:`UserWarning` per file giving how many lines were skipped and where.
    """

    ERROR = "error"
    SKIP = "skip"

    @classmethod
    def parse(cls, value: EmptyTokens | str) -> EmptyTokens:
        """The policy named by ``value``."""
        return _parse_enum(cls, value, "empty-token policy")


# (separator, column count); None separator = runs of whitespace, None count = sniffed
_LAYOUTS: dict[ConllFormat, tuple[str | None, int | None]] = {
    ConllFormat.TAB: ("\t", 2),
    ConllFormat.PANX: ("\t", 2),
    ConllFormat.SPACE: (None, 2),
    ConllFormat.MASAKHANER: (None, 2),
    ConllFormat.CONLL2003: (None, 4),
    ConllFormat.AUTO: (None, None),
}
_PREFIX = re.compile(r"([a-z]{2,3}):(.+)")
_DOCSTART = "-DOCSTART-"
_SPACE = re.compile(r"\s")


def _lines(source: str | Path | TextIO, encoding: str, name: str) -> Iterator[tuple[int, str]]:
    """Numbered lines (1-based) without trailing whitespace; decoding errors name the line."""
    try:
        if isinstance(source, (str, Path)):
            try:
                f = open(source, encoding=encoding)  # noqa: SIM115 - closed below
            except FileNotFoundError:
                raise InputError(f"no such file: {name}") from None
            with f:
                yield from _numbered(f)
        else:
            yield from _numbered(source)
    except UnicodeDecodeError as e:
        raise decode_error(source, encoding, e) from None


def _numbered(f: TextIO) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(f, 1):
        if n == 1 and line.startswith("\ufeff"):
            line = line[1:]
        yield n, line.rstrip()


def iter_conll(
    source: str | Path | TextIO,
    *,
    format: ConllFormat | str = ConllFormat.AUTO,
    scheme: TagScheme | str = TagScheme.IOB2,
    repair: Repair | str = Repair.ERROR,
    lang: str | None = None,
    label_map: LabelMap | None = None,
    unknown_labels: UnknownLabels | str = UnknownLabels.KEEP,
    lang_prefix: LangPrefix | str = LangPrefix.AUTO,
    empty_tokens: EmptyTokens | str = EmptyTokens.ERROR,
    encoding: str = "utf-8",
) -> Iterator[LabelledSentence]:
    """Stream the sentences of a CoNLL-style file one at a time (arguments as :func:`read_conll`).

    >>> import io
    >>> [len(s) for s in iter_conll(io.StringIO("a O\\nb O\\n\\nc B-X\\n"))]
    [2, 1]
    """
    for _, sentence in _iter_numbered(
        source,
        format=format,
        scheme=scheme,
        repair=repair,
        lang=lang,
        label_map=label_map,
        unknown_labels=unknown_labels,
        lang_prefix=lang_prefix,
        empty_tokens=empty_tokens,
        encoding=encoding,
    ):
        yield sentence


def sentence_lines(
    source: str | Path | TextIO,
    *,
    format: ConllFormat | str = ConllFormat.AUTO,
    encoding: str = "utf-8",
) -> list[int]:
    """The 1-based line on which each sentence of a CoNLL-style file starts.

    Used to turn a sentence index into a place in the file, e.g. when an evaluation finds
    that a prediction's words differ from the gold's.

    >>> import io
    >>> sentence_lines(io.StringIO("-DOCSTART- O\\n\\na O\\nb O\\n\\n\\nc B-X\\n"))
    [3, 7]
    """
    return [
        n
        for n, _ in _iter_numbered(
            source, format=format, repair=Repair.FIX, empty_tokens="skip", encoding=encoding
        )
    ]


def whitespace_breaks(source: str | Path, *, encoding: str = "utf-8") -> list[int]:
    """Lines holding only whitespace (spaces, tabs) that lie between two word lines.

    Such a line ends a sentence (see the module docstring), so one that a tool wrote inside a
    sentence splits it in two and shifts every later sentence by one. The file reads without
    error; only a sentence count that disagrees with a parallel file shows it. Error messages
    about such counts name these lines.

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.conll"
    >>> _ = p.write_text("a\\tO\\n \\t\\nb\\tO\\n\\nc\\tO\\n")
    >>> whitespace_breaks(p)
    [2]
    """
    out: list[int] = []
    pending: list[int] = []
    seen_word = False
    try:
        with open(source, encoding=encoding, errors="replace") as f:
            for n, line in enumerate(f, 1):
                stripped = line.rstrip("\r\n")
                if not stripped:
                    pending = []
                elif stripped.isspace():
                    if seen_word:
                        pending.append(n)
                else:
                    out.extend(pending)
                    pending = []
                    seen_word = True
    except OSError:
        return []
    return out


def count_mismatch_note(*sources: str | Path) -> str:
    """A sentence naming the whitespace-only breaks (:func:`whitespace_breaks`) of the files.

    Empty when none of the files has one; otherwise meant to be appended to an error about
    a sentence count.
    """
    notes = []
    for src in sources:
        lines = whitespace_breaks(src)
        if lines:
            shown = ", ".join(map(str, lines[:10])) + (", ..." if len(lines) > 10 else "")
            notes.append(f"{src} has whitespace-only lines, which end a sentence, at {shown}")
    if not notes:
        return ""
    return (
        "; " + "; ".join(notes) + " (if one of them lies inside a sentence, it split the "
        "sentence in two: delete it)"
    )


def _iter_numbered(
    source: str | Path | TextIO,
    *,
    format: ConllFormat | str = ConllFormat.AUTO,
    scheme: TagScheme | str = TagScheme.IOB2,
    repair: Repair | str = Repair.ERROR,
    lang: str | None = None,
    label_map: LabelMap | None = None,
    unknown_labels: UnknownLabels | str = UnknownLabels.KEEP,
    lang_prefix: LangPrefix | str = LangPrefix.AUTO,
    empty_tokens: EmptyTokens | str = EmptyTokens.ERROR,
    encoding: str = "utf-8",
) -> Iterator[tuple[int, LabelledSentence]]:
    """:func:`iter_conll`, each sentence with the 1-based line it starts on."""
    fmt = ConllFormat.parse(format)
    sch = TagScheme.parse(scheme)
    rep = Repair.parse(repair)
    prefix_policy = LangPrefix.parse(lang_prefix)
    unknown = UnknownLabels.parse(unknown_labels)
    skip_empty = EmptyTokens.parse(empty_tokens) is EmptyTokens.SKIP
    skipped_lines: list[int] = []
    name = source_name(source)
    sep, n_cols = _LAYOUTS[fmt]
    layout_known = fmt is not ConllFormat.AUTO
    prefix: str | None = None  # the detected lang prefix, once decided
    prefix_decided = prefix_policy is LangPrefix.KEEP
    out_lang = lang

    words: list[str] = []
    tags: list[str] = []
    first_line = 0
    n_sent = 0

    def describe_layout() -> str:
        where = "tab-separated" if sep == "\t" else "whitespace-separated"
        if n_cols == 2:
            return f"2 {where} columns (token, tag)"
        return f"{n_cols} {where} columns (token first, tag last)"

    def finish() -> LabelledSentence:
        nonlocal prefix, prefix_decided, out_lang
        line0 = first_line
        if not prefix_decided:
            prefix_decided = True
            found = _common_prefix(words)
            if found is None and prefix_policy is LangPrefix.STRIP:
                raise InputError(
                    "lang_prefix='strip' but the tokens of the first sentence do not all carry "
                    "the same 'xx:' language prefix; pass lang_prefix='keep' or 'auto'",
                    path=name,
                    line=line0,
                )
            prefix = found
            if prefix is not None:
                if lang is not None and lang != prefix:
                    raise InputError(
                        f"the tokens carry the language prefix '{prefix}:' but lang={lang!r} "
                        f"was given; fix lang= or {option_hint('lang_prefix', repr('keep'))}",
                        path=name,
                        line=line0,
                    )
                out_lang = prefix
        if prefix is not None:
            cut = len(prefix) + 1
            for k, w in enumerate(words):
                if not w.startswith(prefix) or w[cut - 1 : cut] != ":" or len(w) == cut:
                    raise InputError(
                        f"token {w!r} lacks the language prefix '{prefix}:' that the file's "
                        "first sentence carries on every token; fix the line or "
                        + option_hint("lang_prefix", repr("keep")),
                        path=name,
                        line=line0 + k,
                    )
                words[k] = w[cut:]
        try:
            spans = to_spans(tags, sch, rep)
        except TagError as e:
            raise InputError(e.message, path=name, line=line0 + e.index, sentence=n_sent) from None
        if label_map is not None:
            try:
                spans = map_labels(spans, label_map, unknown=unknown)
            except InputError as e:
                raise e.at(path=name, line=line0, sentence=n_sent) from None
        for k, w in enumerate(words):
            if _SPACE.search(w):  # possible in the tab-separated formats
                codes = ", ".join(f"U+{ord(c):04X}" for c in w if c.isspace())
                raise InputError(
                    f"token {w!r} contains whitespace ({codes}), which xproj words cannot "
                    "hold; replace it in the file (e.g. by '_')",
                    path=name,
                    line=line0 + k,
                    sentence=n_sent,
                )
        return LabelledSentence(tuple(words), spans, out_lang)

    for n, line in _lines(source, encoding, name):
        if not line or line.isspace():
            if words:
                yield first_line, finish()
                n_sent += 1
                words, tags = [], []
            continue
        if not layout_known:
            sep = "\t" if "\t" in line else None
            n_cols = len(line.split(sep))
            if line.split(sep, 1)[0] != _DOCSTART:
                layout_known = True
                if n_cols < 2:
                    raise InputError(
                        f"cannot sniff the format from {line!r}: a word line needs at least a "
                        f"token and a tag; name the file's format: {option_hint('format')}",
                        path=name,
                        line=n,
                    )
        cols = line.split(sep)
        if cols[0] == _DOCSTART:
            if words:
                yield first_line, finish()
                n_sent += 1
                words, tags = [], []
            continue
        if (
            not cols[0]
            if sep is not None
            else line[0].isspace() and n_cols is not None and len(cols) == n_cols - 1
        ):
            if skip_empty:
                skipped_lines.append(n)
                continue
            raise InputError(
                f"empty token in {line!r}; every word line needs a token before its tag. Fix "
                "the line, or leave such lines out (with a warning): "
                + option_hint("empty_tokens", repr("skip")),
                path=name,
                line=n,
            )
        if len(cols) != n_cols:
            raise InputError(
                f"expected {describe_layout()}, got {len(cols)}: {line!r}; fix the line or "
                f"name the file's format (now {fmt.value!r}): {option_hint('format')}",
                path=name,
                line=n,
            )
        if not words:
            first_line = n
        words.append(cols[0])
        tags.append(cols[-1])
    if words:
        yield first_line, finish()
    if skipped_lines:
        more = ", ..." if len(skipped_lines) > 10 else ""
        shown = ", ".join(map(str, skipped_lines[:10])) + more
        warnings.warn(
            f"{name}: skipped {len(skipped_lines)} word line(s) with an empty token "
            f"(empty_tokens='skip'), at line(s) {shown}",
            UserWarning,
            stacklevel=4,
        )


def _common_prefix(words: Sequence[str]) -> str | None:
    """The ``xx`` of an ``xx:`` prefix that every word carries, if there is one."""
    found: str | None = None
    for w in words:
        m = _PREFIX.fullmatch(w)
        if m is None or (found is not None and m.group(1) != found):
            return None
        found = m.group(1)
    return found


def read_conll(
    source: str | Path | TextIO,
    *,
    format: ConllFormat | str = ConllFormat.AUTO,
    scheme: TagScheme | str = TagScheme.IOB2,
    repair: Repair | str = Repair.ERROR,
    lang: str | None = None,
    label_map: LabelMap | None = None,
    unknown_labels: UnknownLabels | str = UnknownLabels.KEEP,
    lang_prefix: LangPrefix | str = LangPrefix.AUTO,
    empty_tokens: EmptyTokens | str = EmptyTokens.ERROR,
    encoding: str = "utf-8",
) -> list[LabelledSentence]:
    """Read a CoNLL-style NER file into labelled sentences.

    Parameters
    ----------
    source
        A path, or an open text stream.
    format
        The line layout: a :class:`ConllFormat` or its name (``"auto"``, ``"tab"``,
        ``"space"``, ``"conll2003"``, ``"panx"``, ``"masakhaner"``).
    scheme
        The tag scheme of the file (``"iob2"``, ``"iob1"``, ``"bioes"``); spans are returned and
        :attr:`~xproj.types.LabelledSentence.tags` gives IOB2.
    repair
        ``"error"`` (default) or ``"fix"`` for tag sequences that break the scheme
        (:mod:`xproj.io.tags`).
    lang
        The language code to store on each sentence; default: the ``lang:`` prefix when one is
        detected, else None.
    label_map
        Optional entity-type mapping applied on reading, e.g. ``{"MISC": "O"}``
        (:func:`xproj.io.tags.map_labels`).
    unknown_labels
        With ``label_map``: keep (default) or reject labels the mapping does not mention.
    lang_prefix
        ``"auto"``, ``"strip"`` or ``"keep"`` (see :class:`LangPrefix`).
    empty_tokens
        ``"error"`` (default) or ``"skip"`` for word lines with an empty token
        (see :class:`EmptyTokens`).
    encoding
        The file's text encoding (a UTF-8 byte-order mark is skipped).

    Returns
    -------
    list of LabelledSentence
        Every sentence of the file, in order; ``-DOCSTART-`` lines are not sentences.

    Raises
    ------
    InputError
        Naming the file and 1-based line for a malformed line, a bad tag or tag sequence, a
        missing language prefix, or a file that is not valid in ``encoding``.
    """
    return list(
        iter_conll(
            source,
            format=format,
            scheme=scheme,
            repair=repair,
            lang=lang,
            label_map=label_map,
            unknown_labels=unknown_labels,
            lang_prefix=lang_prefix,
            empty_tokens=empty_tokens,
            encoding=encoding,
        )
    )
