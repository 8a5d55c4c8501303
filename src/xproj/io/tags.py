"""Tag schemes (IOB1, IOB2, BIOES) to spans and IOB2, with an explicit policy for bad sequences.

xproj keeps entities as :class:`~xproj.types.Span` objects and writes IOB2. This module reads the
three common schemes and says exactly what happens to a sequence that breaks its scheme's rules:
:attr:`Repair.ERROR` raises an :class:`~xproj.errors.InputError` naming the tag index and the
rule; :attr:`Repair.FIX` applies the conventional repair of conlleval and seqeval's default mode.

What :attr:`Repair.FIX` does, per scheme:

* **IOB2** -- an ``I-X`` that does not continue an ``X`` span (after ``O``, at the start, or
  after a span of another type) starts a new ``X`` span.
* **IOB1** -- ``I-X`` continues an ``X`` span or starts one (that is the scheme, not a repair);
  ``B-X`` must directly follow a word of type ``X``. A ``B-X`` after ``O``, at the start or after
  another type is invalid; the repair reads it as the start of an ``X`` span.
* **BIOES** -- ``I-X``/``E-X`` that do not continue an ``X`` span start one (an ``E-X`` so
  started is a one-word span); a span left open (``B-X`` or ``I-X`` followed by ``O``, ``B``,
  ``S``, another type, or the end) ends at its last word.

A malformed tag (not ``O`` and not ``PREFIX-TYPE`` with one of the scheme's prefixes) is an error
under either policy: no repair guesses what it meant.

Examples
--------
>>> to_spans(["B-PER", "E-PER", "O", "S-LOC"], scheme="bioes")
(Span(start=0, end=2, label='PER', score=None), Span(start=3, end=4, label='LOC', score=None))
>>> to_iob2(["I-ORG", "I-ORG", "B-ORG", "O"], scheme="iob1")
('B-ORG', 'I-ORG', 'B-ORG', 'O')
>>> to_iob2(["O", "I-PER", "I-PER"], scheme="iob2", repair="fix")
('O', 'B-PER', 'I-PER')
>>> try:
...     to_spans(["O", "I-PER"], scheme="iob2")
... except InputError as e:
...     print(e)  # doctest: +ELLIPSIS
tag 1 'I-PER' follows 'O' and does not continue a span of type PER, which IOB2 requires; ...
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from xproj.errors import InputError, option_hint
from xproj.types import Span, tags_from_spans

__all__ = [
    "LabelMap",
    "Repair",
    "TagScheme",
    "UnknownLabels",
    "map_labels",
    "to_iob2",
    "to_spans",
]

LabelMap = Mapping[str, "str | None"]
"""A label mapping: entity type -> new type, or ``"O"`` / ``None`` to drop the entity."""


_E = TypeVar("_E", bound=enum.Enum)


def _parse_enum(
    enum_cls: type[_E], value: _E | str, what: str, aliases: Mapping[str, str] | None = None
) -> _E:
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        key = value.strip().lower()
        key = (aliases or {}).get(key, key)
        for member in enum_cls:
            if member.value == key:
                return member
    valid = ", ".join(repr(m.value) for m in enum_cls)
    raise InputError(f"unknown {what} {value!r}; the valid ones are {valid}")


class TagScheme(str, enum.Enum):
    """How entity tags encode spans.

    ``IOB2`` (also called BIO): every span starts with ``B-``. ``IOB1``: spans start with ``I-``;
    ``B-`` only separates two adjacent spans of the same type. ``BIOES`` (also IOBES): ``B-``
    begin, ``I-`` inside, ``E-`` end, ``S-`` single-word span. Names are case-insensitive;
    ``"bio"`` and ``"iobes"`` are accepted as aliases.
    """

    IOB1 = "iob1"
    IOB2 = "iob2"
    BIOES = "bioes"

    @classmethod
    def parse(cls, value: TagScheme | str) -> TagScheme:
        """The scheme named by ``value``; an unknown name raises an error listing the valid ones.

        >>> TagScheme.parse("BIO")
        <TagScheme.IOB2: 'iob2'>
        """
        return _parse_enum(cls, value, "tag scheme", {"bio": "iob2", "iobes": "bioes"})


class Repair(str, enum.Enum):
    """What to do with a tag sequence that breaks its scheme's rules (see the module doc)."""

    ERROR = "error"
    FIX = "fix"

    @classmethod
    def parse(cls, value: Repair | str) -> Repair:
        """The policy named by ``value`` (``"error"`` or ``"fix"``)."""
        return _parse_enum(cls, value, "repair policy")


class UnknownLabels(str, enum.Enum):
    """What :func:`map_labels` does with a label its mapping does not mention."""

    KEEP = "keep"
    ERROR = "error"

    @classmethod
    def parse(cls, value: UnknownLabels | str) -> UnknownLabels:
        """The policy named by ``value`` (``"keep"`` or ``"error"``)."""
        return _parse_enum(cls, value, "unknown-label policy")


_PREFIXES = {TagScheme.IOB1: "BI", TagScheme.IOB2: "BI", TagScheme.BIOES: "BIES"}


class TagError(InputError):
    """A bad tag, with the 0-based index of the tag in its sentence (``index``)."""

    def __init__(self, message: str, *, index: int) -> None:
        self.index = index
        super().__init__(message)


def _split(tag: str, i: int, scheme: TagScheme) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, dash, label = tag.partition("-")
    if not dash or len(prefix) != 1 or prefix not in _PREFIXES[scheme] or not label:
        allowed = ", ".join(f"'{p}-TYPE'" for p in _PREFIXES[scheme])
        raise TagError(
            f"tag {i} {tag!r} is not a {scheme.name} tag: expected 'O' or one of {allowed}"
            + (
                "; the file may use another scheme (pass scheme='bioes')"
                if scheme is not TagScheme.BIOES and prefix in ("E", "S") and dash and label
                else ""
            ),
            index=i,
        )
    return prefix, label


def _invalid(i: int, tag: str, prev: str | None, rule: str, scheme: TagScheme) -> TagError:
    after = f"follows {prev!r}" if prev is not None else "starts the sentence"
    return TagError(
        f"tag {i} {tag!r} {after} and {rule}, which {scheme.name} requires; fix the tags, "
        "read them with the scheme they were written in, or apply the conventional repair "
        f"(see xproj.io.tags): {option_hint('repair', repr('fix'))}",
        index=i,
    )


def to_spans(
    tags: Sequence[str],
    scheme: TagScheme | str = TagScheme.IOB2,
    repair: Repair | str = Repair.ERROR,
) -> tuple[Span, ...]:
    """Read entity spans from a tag sequence.

    Parameters
    ----------
    tags
        One tag per word, e.g. ``["B-PER", "I-PER", "O"]``.
    scheme
        The scheme the tags follow: a :class:`TagScheme` or its name (``"iob1"``, ``"iob2"``,
        ``"bioes"``).
    repair
        :attr:`Repair.ERROR` (default) raises on a sequence that breaks the scheme;
        :attr:`Repair.FIX` applies the conventional repair described in the module docstring.

    Returns
    -------
    tuple of Span
        Sorted, non-overlapping half-open spans.

    Raises
    ------
    InputError
        For an unknown scheme or policy name, a malformed tag, or (with ``repair="error"``) an
        invalid sequence. The message names the tag's index; the exception's ``index``
        attribute holds it.

    Examples
    --------
    >>> [(s.start, s.end, s.label) for s in to_spans(["B-LOC", "I-LOC", "B-LOC"])]
    [(0, 2, 'LOC'), (2, 3, 'LOC')]
    >>> [(s.start, s.end, s.label) for s in to_spans(["I-LOC", "B-PER"], "iob2", "fix")]
    [(0, 1, 'LOC'), (1, 2, 'PER')]
    """
    sch = TagScheme.parse(scheme)
    fix = Repair.parse(repair) is Repair.FIX
    spans: list[Span] = []
    start = -1  # start of the open span, -1 when none is open
    label = ""  # type of the open span
    prev_label = ""  # type of the previous word ("" for O / sentence start)
    prev_tag: str | None = None

    def close(end: int) -> None:
        nonlocal start
        if start >= 0:
            spans.append(Span(start, end, label))
            start = -1

    for i, tag in enumerate(tags):
        prefix, typ = _split(tag, i, sch)
        if prefix == "O":
            if sch is TagScheme.BIOES and start >= 0 and not fix:
                raise _invalid(i, tag, prev_tag, f"the {label} span before it has no E- tag", sch)
            close(i)
        elif sch is TagScheme.IOB2:
            if prefix == "B":
                close(i)
                start, label = i, typ
            elif start < 0 or typ != label:
                if not fix:
                    raise _invalid(i, tag, prev_tag, f"does not continue a span of type {typ}", sch)
                close(i)
                start, label = i, typ
        elif sch is TagScheme.IOB1:
            if prefix == "I":
                if start < 0 or typ != label:
                    close(i)
                    start, label = i, typ
            else:  # B-X: only directly after a word of type X
                if prev_label != typ and not fix:
                    raise _invalid(
                        i, tag, prev_tag, f"B- may only separate two adjacent {typ} spans", sch
                    )
                close(i)
                start, label = i, typ
        else:  # BIOES
            open_same = start >= 0 and typ == label
            if prefix in ("B", "S"):
                if start >= 0 and not fix:
                    no_end = f"the {label} span before it has no E- tag"
                    raise _invalid(i, tag, prev_tag, no_end, sch)
                close(i)
                if prefix == "B":
                    start, label = i, typ
                else:
                    spans.append(Span(i, i + 1, typ))
            else:  # I or E
                if not open_same:
                    if not fix:
                        raise _invalid(
                            i, tag, prev_tag, f"does not continue a span of type {typ}", sch
                        )
                    close(i)
                    start, label = i, typ
                if prefix == "E":
                    close(i + 1)
        prev_label = typ
        prev_tag = tag
    if start >= 0 and sch is TagScheme.BIOES and not fix:
        raise TagError(
            f"the {label} span opened at tag {start} is still open at the end of the sentence "
            "(no E- tag), which BIOES requires; fix the tags or "
            + option_hint("repair", repr("fix")),
            index=len(tags) - 1,
        )
    close(len(tags))
    return tuple(spans)


def to_iob2(
    tags: Sequence[str],
    scheme: TagScheme | str = TagScheme.IOB2,
    repair: Repair | str = Repair.ERROR,
) -> tuple[str, ...]:
    """Convert a tag sequence to IOB2 (see :func:`to_spans` for the arguments).

    >>> to_iob2(["S-PER", "B-ORG", "E-ORG"], "bioes")
    ('B-PER', 'B-ORG', 'I-ORG')
    """
    return tags_from_spans(to_spans(tags, scheme, repair), len(tags))


def map_labels(
    spans: Iterable[Span],
    mapping: LabelMap,
    *,
    unknown: UnknownLabels | str = UnknownLabels.KEEP,
) -> tuple[Span, ...]:
    """Rename entity types, or drop them by mapping to ``"O"`` or ``None``.

    Parameters
    ----------
    spans
        The spans to map (their order is kept).
    mapping
        Entity type -> new type, or ``"O"``/``None`` to drop spans of that type.
    unknown
        A label the mapping does not mention is kept unchanged (:attr:`UnknownLabels.KEEP`,
        the default) or raises an :class:`~xproj.errors.InputError`
        (:attr:`UnknownLabels.ERROR`), which lists the mapping's labels.

    Examples
    --------
    >>> spans = (Span(0, 1, "PER"), Span(2, 3, "MISC"), Span(4, 5, "DATE"))
    >>> [s.label for s in map_labels(spans, {"MISC": "O", "DATE": None, "PER": "PERSON"})]
    ['PERSON']
    >>> [s.label for s in map_labels(spans, {"MISC": "O"})]
    ['PER', 'DATE']
    """
    policy = UnknownLabels.parse(unknown)
    out: list[Span] = []
    for k, s in enumerate(spans):
        if s.label in mapping:
            new = mapping[s.label]
        elif policy is UnknownLabels.KEEP:
            new = s.label
        else:
            raise InputError(
                f"entity {k} has label {s.label!r}, which the label mapping does not mention "
                f"(it maps {sorted(mapping)}); add it to the mapping (to itself to keep it, to "
                "'O' to drop it) or pass unknown='keep'"
            )
        if new is None or new == "O":
            continue
        out.append(s if new == s.label else Span(s.start, s.end, new, s.score))
    return tuple(out)
