"""The typed, immutable objects passed between xproj's stages.

Sentences are word lists; spans are half-open word ranges ``[start, end)`` with a label;
alignments are pairs of (source word, target word) indices with optional scores. Word indices,
never character offsets or tensors, cross stage boundaries. Every object converts to and from
plain JSON-ready dictionaries with ``to_dict`` / ``from_dict``.

Examples
--------
>>> s = LabelledSentence.from_tags(["Angela", "Merkel", "visited", "Paris"],
...                                ["B-PER", "I-PER", "O", "B-LOC"], lang="en")
>>> s.spans
(Span(start=0, end=2, label='PER', score=None), Span(start=3, end=4, label='LOC', score=None))
>>> s.tags
('B-PER', 'I-PER', 'O', 'B-LOC')
>>> s.span_text(s.spans[0])
'Angela Merkel'
>>> LabelledSentence.from_dict(s.to_dict()) == s
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from xproj.errors import InputError

__all__ = [
    "Alignment",
    "LabelledSentence",
    "ProjectedSpan",
    "Projection",
    "Sentence",
    "Span",
    "spans_from_tags",
    "tags_from_spans",
]


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled half-open word range ``[start, end)``.

    Parameters
    ----------
    start, end
        Word indices, ``0 <= start < end``.
    label
        The entity type without an IOB prefix, e.g. ``"PER"``.
    score
        Optional confidence in [0, 1] or any real score the producer documents.
    """

    start: int
    end: int
    label: str
    score: float | None = None

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end):
            raise InputError(
                f"a span needs 0 <= start < end, got [{self.start}, {self.end}); "
                "spans are half-open word ranges"
            )
        if not self.label or (self.label[1:2] == "-" and self.label[:1] in "BIES"):
            raise InputError(
                f"span label {self.label!r} must be a bare entity type such as 'PER' "
                "(no IOB prefix, not empty)"
            )

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span) -> bool:
        """Whether the two word ranges share at least one word."""
        return self.start < other.end and other.start < self.end

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label}
        if self.score is not None:
            d["score"] = self.score
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Span:
        return cls(int(d["start"]), int(d["end"]), str(d["label"]), d.get("score"))


def _as_words(words: Any, owner: str) -> tuple[str, ...]:
    """``words`` as a tuple; a string (which would become one word per character) is an error.

    >>> _as_words(["Paris"], "Sentence")
    ('Paris',)
    >>> _as_words("Paris", "Sentence")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xproj.errors.InputError: Sentence takes a sequence of words, got the string 'Paris'; ...
    """
    if isinstance(words, tuple):
        return words
    if isinstance(words, str):
        example = words.split()[:6] + (["..."] if len(words.split()) > 6 else [])
        raise InputError(
            f"{owner} takes a sequence of words, got the string {_clip(words)}; split it into "
            f"words first, e.g. {owner}({example!r})"
        )
    try:
        return tuple(words)
    except TypeError:
        raise InputError(
            f"{owner} takes a sequence of words, got {type(words).__name__} {_clip(words)}"
        ) from None


def _clip(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _check_words(words: tuple[str, ...]) -> None:
    # Fast path (one pass in C): the words are non-empty strings without whitespace exactly
    # when splitting their space-joined text gives them back. The loop finds the bad word.
    try:
        if " ".join(words).split() == list(words):
            return
    except TypeError:
        pass
    for i, w in enumerate(words):
        if not isinstance(w, str) or not w or any(c.isspace() for c in w):
            raise InputError(
                f"word {i} is {w!r}: words must be non-empty strings without whitespace; "
                "split the text into words first"
            )


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence as a tuple of words, with an optional language code (ISO 639-1 or 639-3)."""

    words: tuple[str, ...]
    lang: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.words, tuple):
            object.__setattr__(self, "words", _as_words(self.words, "Sentence"))
        _check_words(self.words)

    def __len__(self) -> int:
        return len(self.words)

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(self.words)

    def to_dict(self) -> dict[str, Any]:
        return {"words": list(self.words), "lang": self.lang}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Sentence:
        return cls(tuple(d["words"]), d.get("lang"))


def _check_spans(spans: tuple[Span, ...], n_words: int) -> None:
    prev_end = 0
    for k, s in enumerate(spans):
        if s.end > n_words:
            raise InputError(
                f"span {k} [{s.start}, {s.end}) {s.label} ends past the sentence's {n_words} words"
            )
        if s.start < prev_end:
            raise InputError(
                f"span {k} [{s.start}, {s.end}) {s.label} overlaps or precedes the span before "
                "it; spans must be sorted by start and must not overlap"
            )
        prev_end = s.end


@dataclass(frozen=True, slots=True)
class LabelledSentence:
    """A sentence with non-overlapping entity spans, sorted by start."""

    words: tuple[str, ...]
    spans: tuple[Span, ...] = ()
    lang: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.words, tuple):
            object.__setattr__(self, "words", _as_words(self.words, "LabelledSentence"))
        if not isinstance(self.spans, tuple):
            object.__setattr__(self, "spans", tuple(self.spans))
        _check_words(self.words)
        _check_spans(self.spans, len(self.words))

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def from_tags(
        cls, words: Sequence[str], tags: Sequence[str], lang: str | None = None
    ) -> LabelledSentence:
        """Build from IOB2 tags (see :mod:`xproj.io.tags` for other schemes and repairs)."""
        word_tuple = _as_words(words, "LabelledSentence.from_tags")
        if isinstance(tags, str):
            raise InputError(
                f"LabelledSentence.from_tags takes a sequence of tags, got the string "
                f"{_clip(tags)}; give one tag per word, e.g. {tags.split()[:4]!r}"
            )
        if len(word_tuple) != len(tags):
            raise InputError(f"{len(word_tuple)} words but {len(tags)} tags; give one tag per word")
        return cls(word_tuple, spans_from_tags(tags), lang)

    @property
    def sentence(self) -> Sentence:
        """The words and language without the labels."""
        return Sentence(self.words, self.lang)

    @property
    def tags(self) -> tuple[str, ...]:
        """IOB2 tags, one per word."""
        return tags_from_spans(self.spans, len(self.words))

    def span_text(self, span: Span) -> str:
        """The words of ``span`` joined by spaces."""
        return " ".join(self.words[span.start : span.end])

    def to_dict(self) -> dict[str, Any]:
        return {
            "words": list(self.words),
            "spans": [s.to_dict() for s in self.spans],
            "lang": self.lang,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LabelledSentence:
        return cls(
            tuple(d["words"]), tuple(Span.from_dict(s) for s in d.get("spans", ())), d.get("lang")
        )


def tags_from_spans(spans: Iterable[Span], n_words: int) -> tuple[str, ...]:
    """IOB2 tags for non-overlapping spans over ``n_words`` words."""
    tags = ["O"] * n_words
    for s in spans:
        tags[s.start] = f"B-{s.label}"
        for i in range(s.start + 1, s.end):
            tags[i] = f"I-{s.label}"
    return tuple(tags)


def spans_from_tags(tags: Sequence[str]) -> tuple[Span, ...]:
    """Spans from a valid IOB2 tag sequence.

    Raises
    ------
    InputError
        If a tag is malformed or an ``I-`` tag does not continue a span of the same type; use
        :func:`xproj.io.tags.to_spans` to read other schemes or to repair such sequences.
    """
    spans: list[Span] = []
    start = -1
    label = ""
    for i, tag in enumerate(tags):
        if tag == "O":
            if start >= 0:
                spans.append(Span(start, i, label))
                start = -1
            continue
        prefix, _, typ = tag.partition("-")
        if prefix == "B" and typ:
            if start >= 0:
                spans.append(Span(start, i, label))
            start, label = i, typ
        elif prefix == "I" and typ:
            if start < 0 or typ != label:
                raise InputError(
                    f"tag {i} {tag!r} does not continue a {typ} span (previous tag "
                    f"{tags[i - 1] if i else 'none'!r}); this is not valid IOB2. Read it with "
                    "xproj.io.tags.to_spans(tags, scheme='iob1') or repair='fix'"
                )
        else:
            raise InputError(f"tag {i} {tag!r} is not 'O', 'B-TYPE' or 'I-TYPE'")
    if start >= 0:
        spans.append(Span(start, len(tags), label))
    return tuple(spans)


@dataclass(frozen=True, slots=True)
class Alignment:
    """Word links between a source sentence of ``src_len`` words and a target of ``tgt_len``.

    Parameters
    ----------
    src_len, tgt_len
        The sentence lengths in words; every link lies inside them.
    links
        ``(source index, target index)`` pairs, 0-based, without duplicates.
    scores
        Optional per-link scores (e.g. similarities), parallel to ``links``.
    possible
        Extra "possible" links of a gold alignment (Och & Ney), not counted as sure links.
        Aligners leave this empty; projectors ignore it.
    """

    src_len: int
    tgt_len: int
    links: tuple[tuple[int, int], ...] = ()
    scores: tuple[float, ...] | None = None
    possible: tuple[tuple[int, int], ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.links, tuple):
            object.__setattr__(self, "links", tuple((int(i), int(j)) for i, j in self.links))
        if self.scores is not None and not isinstance(self.scores, tuple):
            object.__setattr__(self, "scores", tuple(float(x) for x in self.scores))
        if not isinstance(self.possible, tuple):
            object.__setattr__(self, "possible", tuple((int(i), int(j)) for i, j in self.possible))
        if self.src_len < 0 or self.tgt_len < 0:
            raise InputError(f"sentence lengths must be >= 0, got {self.src_len}, {self.tgt_len}")
        for i, j in self.links + self.possible:
            if not (0 <= i < self.src_len and 0 <= j < self.tgt_len):
                raise InputError(
                    f"alignment link {i}-{j} lies outside a {self.src_len}-word source and "
                    f"{self.tgt_len}-word target; links are 0-based (source, target) word indices"
                )
        if self.scores is not None and len(self.scores) != len(self.links):
            raise InputError(f"{len(self.links)} links but {len(self.scores)} scores")

    def __len__(self) -> int:
        return len(self.links)

    def matrix(self, dtype: type = np.float32) -> np.ndarray:
        """A ``(src_len, tgt_len)`` matrix: link scores where given, else 1 for each link."""
        m: np.ndarray = np.zeros((self.src_len, self.tgt_len), dtype=dtype)
        if self.links:
            idx = np.asarray(self.links, dtype=np.intp)
            m[idx[:, 0], idx[:, 1]] = 1.0 if self.scores is None else np.asarray(self.scores)
        return m

    def inverted(self) -> Alignment:
        """The same links seen from the target side: ``(target, source)`` pairs."""
        return Alignment(
            self.tgt_len,
            self.src_len,
            tuple((j, i) for i, j in self.links),
            self.scores,
            tuple((j, i) for i, j in self.possible),
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "src_len": self.src_len,
            "tgt_len": self.tgt_len,
            "links": [list(p) for p in self.links],
        }
        if self.scores is not None:
            d["scores"] = list(self.scores)
        if self.possible:
            d["possible"] = [list(p) for p in self.possible]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Alignment:
        return cls(
            int(d["src_len"]),
            int(d["tgt_len"]),
            tuple((int(i), int(j)) for i, j in d.get("links", ())),
            None if d.get("scores") is None else tuple(float(x) for x in d["scores"]),
            tuple((int(i), int(j)) for i, j in d.get("possible", ())),
        )

    @classmethod
    def from_pharaoh(cls, text: str, src_len: int, tgt_len: int) -> Alignment:
        """Parse one 0-based Pharaoh line such as ``"0-0 1-2 2p3"`` (``p`` marks possible)."""
        sure: list[tuple[int, int]] = []
        possible: list[tuple[int, int]] = []
        for tok in text.split():
            sep = "p" if "p" in tok else "-"
            a, _, b = tok.partition(sep)
            try:
                pair = (int(a), int(b))
            except ValueError:
                raise InputError(f"alignment token {tok!r} is not of the form i-j or ipj") from None
            (possible if sep == "p" else sure).append(pair)
        return cls(src_len, tgt_len, tuple(sure), None, tuple(possible))

    def to_pharaoh(self) -> str:
        """0-based Pharaoh text of the sure links, ``"0-0 1-2"``."""
        return " ".join(f"{i}-{j}" for i, j in self.links)


@dataclass(frozen=True, slots=True)
class ProjectedSpan:
    """A target span produced by projection, with the source entity it came from.

    Parameters
    ----------
    start, end, label
        The target word range and its entity type.
    source
        Index of the source entity in the source sentence's ``spans``.
    score
        The projector's score for this (entity, span) match, if it computes one.
    method
        Which projector (or fused component) produced it, e.g. ``"greedy"``.
    """

    start: int
    end: int
    label: str
    source: int
    score: float | None = None
    method: str = ""

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.label, self.score)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "source": self.source,
            "score": self.score,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ProjectedSpan:
        return cls(
            int(d["start"]),
            int(d["end"]),
            str(d["label"]),
            int(d["source"]),
            d.get("score"),
            str(d.get("method", "")),
        )


@dataclass(frozen=True, slots=True)
class Projection:
    """The result of projecting one source sentence's entities onto one target sentence.

    Parameters
    ----------
    target
        The target sentence with the projected spans (as plain spans, sorted, non-overlapping).
    projected
        One entry per target span, in the same order as ``target.spans``, saying which source
        entity it came from, its score and method.
    unprojected
        Indices of source entities that were not projected anywhere.
    n_source
        How many entities the source sentence had.
    """

    target: LabelledSentence
    projected: tuple[ProjectedSpan, ...]
    unprojected: tuple[int, ...]
    n_source: int

    def __post_init__(self) -> None:
        if len(self.projected) != len(self.target.spans):
            raise InputError(
                f"{len(self.projected)} projected spans for {len(self.target.spans)} target spans"
            )
        seen = {p.source for p in self.projected} | set(self.unprojected)
        if any(not 0 <= k < self.n_source for k in seen):
            raise InputError(f"source index out of range for {self.n_source} source entities")
        if len(seen) != self.n_source:
            raise InputError(
                f"every one of the {self.n_source} source entities must be projected or listed "
                f"as unprojected; got {sorted(seen)}"
            )

    @classmethod
    def build(
        cls,
        words: Sequence[str],
        spans: Iterable[ProjectedSpan],
        n_source: int,
        lang: str | None = None,
    ) -> Projection:
        """Assemble a projection from its target spans; unprojected entities are derived."""
        ordered = tuple(sorted(spans, key=lambda p: p.start))
        target = LabelledSentence(tuple(words), tuple(p.span for p in ordered), lang)
        done = {p.source for p in ordered}
        missing = tuple(k for k in range(n_source) if k not in done)
        return cls(target, ordered, missing, n_source)

    @property
    def tags(self) -> tuple[str, ...]:
        return self.target.tags

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target.to_dict(),
            "projected": [p.to_dict() for p in self.projected],
            "unprojected": list(self.unprojected),
            "n_source": self.n_source,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Projection:
        return cls(
            LabelledSentence.from_dict(d["target"]),
            tuple(ProjectedSpan.from_dict(p) for p in d["projected"]),
            tuple(int(k) for k in d["unprojected"]),
            int(d["n_source"]),
        )
