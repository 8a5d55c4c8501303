"""Marker translation (EasyProject style): translate labelled sentences, keeping their entities.

Each source entity is wrapped in markers (``[`` ... ``]`` by default) before translating, so
that the translation carries the entity boundaries::

    Hola [ Juan Pérez ] de [ la Comisión Europea ] .  ->  Hello [ Juan Pérez ] of [ the European Commission ] .

The markers are parsed out of the output into spans on the translated words, and each marked span
is matched to the source entity whose separately translated text (or original text) it is most
like, which gives its label. Entities whose markers were lost or garbled are searched for in the
translation by fuzzy string matching of their separately translated text; what is not found is
reported as lost. Nothing is dropped silently: :class:`MarkerResult` counts, per batch and per
sentence, the entities kept through markers, recovered by fuzzy matching, and lost.

Works with any :class:`~xproj.translate.base.Translator`.

Examples
--------
>>> from xproj.translate.parallel import ParallelTranslator
>>> src = LabelledSentence.from_tags(["Hola", "Juan", "Pérez", "."],
...                                  ["O", "B-PER", "I-PER", "O"], lang="es")
>>> mt = MarkerTranslator(translator=ParallelTranslator(sentences=["Hello [ Juan Pérez ] ."]))
>>> result = mt.translate([src], "en")
>>> result.translations[0].words, result.translations[0].spans
(('Hello', 'Juan', 'Pérez', '.'), (Span(start=1, end=3, label='PER', score=None),))
>>> result.n_marker, result.n_fuzzy, result.n_lost
(1, 0, 0)
"""  # noqa: E501

from __future__ import annotations

import difflib
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xproj.errors import InputError
from xproj.params import Component, InstanceOf, Interval, Predicate
from xproj.translate.base import Translator
from xproj.types import LabelledSentence, ProjectedSpan, Projection, Sentence, Span

__all__ = [
    "DEFAULT_MARKERS",
    "EntityOutcome",
    "MarkerResult",
    "MarkerTranslation",
    "MarkerTranslator",
    "Outcome",
    "mark",
    "parse_markers",
]

DEFAULT_MARKERS: tuple[tuple[str, str], ...] = (("[", "]"), ("{", "}"))
"""Marker pairs tried in order; a sentence uses the first pair that does not occur in its words."""


class Outcome(str, enum.Enum):
    """What became of one source entity."""

    MARKER = "marker"  # its markers survived translation
    FUZZY = "fuzzy"  # found again by fuzzy matching of its separately translated text
    LOST = "lost"  # not found in the translation


@dataclass(frozen=True)
class EntityOutcome:
    """One source entity's fate.

    Parameters
    ----------
    source
        Index of the entity in the source sentence's ``spans``.
    outcome
        :class:`Outcome`.
    target
        Index of its span in the translation's ``spans``, or ``None`` when lost.
    score
        The string similarity (0 to 1) that matched it, when one was computed.
    """

    source: int
    outcome: Outcome
    target: int | None = None
    score: float | None = None


@dataclass(frozen=True)
class MarkerTranslation:
    """One sentence's marker translation.

    Parameters
    ----------
    source
        The labelled source sentence.
    translation
        The translation with the markers removed and the entity spans found on its words.
    outcomes
        One :class:`EntityOutcome` per source entity, in source order.
    n_spurious
        Marked spans in the output that matched no source entity (dropped).
    n_garbled
        Unpaired or empty markers in the output (removed).
    marked
        Whether the sentence was sent with markers (``False`` when every marker pair occurs in
        its words, or it has no entities).
    """

    source: LabelledSentence
    translation: LabelledSentence
    outcomes: tuple[EntityOutcome, ...]
    n_spurious: int = 0
    n_garbled: int = 0
    marked: bool = True

    def count(self, outcome: Outcome | str) -> int:
        """How many of the sentence's entities had this outcome."""
        o = Outcome(outcome)
        return sum(e.outcome is o for e in self.outcomes)

    @property
    def projection(self) -> Projection:
        """The translation's spans as a projection of the source entities."""
        spans = self.translation.spans
        return Projection.build(
            self.translation.words,
            [
                ProjectedSpan(
                    spans[e.target].start,
                    spans[e.target].end,
                    spans[e.target].label,
                    e.source,
                    e.score,
                    f"marker-{e.outcome.value}",
                )
                for e in self.outcomes
                if e.target is not None
            ],
            len(self.source.spans),
            self.translation.lang,
        )


@dataclass(frozen=True)
class MarkerResult:
    """A batch's marker translations with the counts of what survived.

    Examples
    --------
    >>> r = MarkerResult([])
    >>> r.n_entities, r.survival_rate
    (0, 1.0)
    """

    sentences: list[MarkerTranslation]

    @property
    def translations(self) -> list[LabelledSentence]:
        """The labelled translations, one per input sentence, in order."""
        return [s.translation for s in self.sentences]

    @property
    def projections(self) -> list[Projection]:
        """The translations as projections of the source entities (see ``Projection``)."""
        return [s.projection for s in self.sentences]

    def _count(self, outcome: Outcome) -> int:
        return sum(s.count(outcome) for s in self.sentences)

    @property
    def n_entities(self) -> int:
        """Source entities in the batch."""
        return sum(len(s.outcomes) for s in self.sentences)

    @property
    def n_marker(self) -> int:
        """Entities kept through their markers."""
        return self._count(Outcome.MARKER)

    @property
    def n_fuzzy(self) -> int:
        """Entities recovered by fuzzy matching."""
        return self._count(Outcome.FUZZY)

    @property
    def n_lost(self) -> int:
        """Entities not found in the translation."""
        return self._count(Outcome.LOST)

    @property
    def n_spurious(self) -> int:
        """Marked output spans that matched no source entity."""
        return sum(s.n_spurious for s in self.sentences)

    @property
    def n_garbled(self) -> int:
        """Unpaired or empty markers removed from the outputs."""
        return sum(s.n_garbled for s in self.sentences)

    @property
    def n_unmarked(self) -> int:
        """Sentences with entities that could not be marked (every marker pair was in use)."""
        return sum(not s.marked and bool(s.outcomes) for s in self.sentences)

    @property
    def survival_rate(self) -> float:
        """The share of entities found in the translations (markers or fuzzy); 1.0 for none."""
        return 1.0 if not self.n_entities else (self.n_marker + self.n_fuzzy) / self.n_entities

    @property
    def marker_rate(self) -> float:
        """The share of entities whose markers survived; 1.0 for none."""
        return 1.0 if not self.n_entities else self.n_marker / self.n_entities

    def summary(self) -> dict[str, Any]:
        """The counts as a JSON-ready dictionary."""
        return {
            "sentences": len(self.sentences),
            "entities": self.n_entities,
            "marker": self.n_marker,
            "fuzzy": self.n_fuzzy,
            "lost": self.n_lost,
            "spurious": self.n_spurious,
            "garbled": self.n_garbled,
            "unmarked_sentences": self.n_unmarked,
            "survival_rate": self.survival_rate,
            "marker_rate": self.marker_rate,
        }


def mark(sentence: LabelledSentence, pair: tuple[str, str]) -> Sentence:
    """The sentence's words with each entity wrapped in the marker pair (as separate words).

    >>> s = LabelledSentence.from_tags(["Juan", "vive", "en", "Madrid"],
    ...                                ["B-PER", "O", "O", "B-LOC"])
    >>> mark(s, ("[", "]")).text
    '[ Juan ] vive en [ Madrid ]'
    """
    opening, closing = pair
    words: list[str] = []
    starts = {s.start for s in sentence.spans}
    ends = {s.end for s in sentence.spans}
    for i, w in enumerate(sentence.words):
        if i in ends:
            words.append(closing)
        if i in starts:
            words.append(opening)
        words.append(w)
    if len(sentence.words) in ends:
        words.append(closing)
    return Sentence(tuple(words), sentence.lang)


def parse_markers(
    words: Sequence[str], pair: tuple[str, str]
) -> tuple[list[str], list[tuple[int, int]], int]:
    """Remove markers from translated words; return the words, the marked ranges and garbling.

    Markers are found inside words too (``"[Juan"``, ``"Pérez]."``). An opening marker starts a
    span and the next closing marker ends it; an opening marker followed by another opening
    marker, a closing marker with no opening one, an empty ``[ ]`` and an opening marker never
    closed are garbled: removed and counted.

    Returns
    -------
    words
        The translated words without markers.
    spans
        Half-open word ranges ``(start, end)`` of the marked spans, sorted, disjoint.
    n_garbled
        Markers that did not form a non-empty span.

    Examples
    --------
    >>> parse_markers(["Hello", "[Juan", "Pérez]", "of", "[", "Europe", "]", "."], ("[", "]"))
    (['Hello', 'Juan', 'Pérez', 'of', 'Europe', '.'], [(1, 3), (4, 5)], 0)
    >>> parse_markers(["]", "a", "[", "b", "[", "c", "]", "[", "]", "d", "["], ("[", "]"))
    (['a', 'b', 'c', 'd'], [(2, 3)], 5)
    """
    opening, closing = pair
    tokens: list[tuple[str, str]] = []
    for w in words:
        rest = w
        while rest:
            i, j = rest.find(opening), rest.find(closing)
            hits = [(p, kind) for p, kind in ((i, "open"), (j, "close")) if p >= 0]
            if not hits:
                tokens.append(("word", rest))
                break
            p, kind = min(hits)
            if p:
                tokens.append(("word", rest[:p]))
            tokens.append((kind, ""))
            rest = rest[p + len(opening if kind == "open" else closing) :]
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    garbled = 0
    pending: int | None = None
    for kind, text in tokens:
        if kind == "word":
            out.append(text)
        elif kind == "open":
            garbled += pending is not None
            pending = len(out)
        elif pending is None or pending == len(out):
            garbled += 1 if pending is None else 2
            pending = None
        else:
            spans.append((pending, len(out)))
            pending = None
    garbled += pending is not None
    return out, spans, garbled


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.casefold(), b.casefold(), autojunk=False).ratio()


def _pairs_ok(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and len(value) > 0
        and all(
            isinstance(p, tuple)
            and len(p) == 2
            and all(isinstance(m, str) and m and not any(c.isspace() for c in m) for m in p)
            and p[0] not in p[1]
            and p[1] not in p[0]
            for p in value
        )
    )


@dataclass(kw_only=True)
class MarkerTranslator(Component):
    """Translate labelled sentences with entity markers, recovering lost entities by fuzzy match.

    Parameters
    ----------
    translator
        Any :class:`~xproj.translate.base.Translator`; it translates the marked sentences and,
        where needed, the entities' texts on their own.
    markers
        Marker pairs ``(opening, closing)`` tried in order (:data:`DEFAULT_MARKERS`): a
        sentence uses the first pair neither of whose strings occurs in its words. Markers
        contain no whitespace, and neither string of a pair contains the other.
    fuzzy
        Whether to look for entities whose markers were lost by fuzzy matching (otherwise they
        are reported lost).
    threshold
        The least string similarity (:class:`difflib.SequenceMatcher` ratio, case-folded)
        between an entity's translated or original text and a span of the translation for a
        fuzzy match.
    position_weight
        Weight of the relative position of a marked span and a source entity when marked spans
        are matched to entities (similarity of text is the main criterion; this prefers keeping
        the source order among equally similar candidates).

    Examples
    --------
    >>> from xproj.translate.apertium import ApertiumTranslator
    >>> mt = MarkerTranslator(translator=ApertiumTranslator())
    >>> src = LabelledSentence.from_tags(["Vive", "en", "Madrid"], ["O", "O", "B-LOC"], "es")
    >>> mt.translate([src], "en").translations  # doctest: +SKIP
    [LabelledSentence(words=('Lives', 'in', 'Madrid'), spans=(Span(start=2, end=3, label='LOC', score=None),), lang='en')]
    """  # noqa: E501

    translator: Translator
    markers: Sequence[tuple[str, str]] = DEFAULT_MARKERS
    fuzzy: bool = True
    threshold: float = 0.6
    position_weight: float = 0.1

    _constraints = {
        "translator": InstanceOf((Translator,)),
        "markers": Predicate(
            _pairs_ok,
            "a non-empty list of (opening, closing) pairs of non-empty strings without "
            "whitespace, neither containing the other",
        ),
        "fuzzy": InstanceOf((bool,)),
        "threshold": Interval(float, 0, 1),
        "position_weight": Interval(float, 0, 1),
    }

    def _pair_for(self, sentence: LabelledSentence) -> tuple[str, str] | None:
        if not sentence.spans:
            return None
        for pair in self.markers:
            if not any(m in w for w in sentence.words for m in pair):
                return pair
        return None

    def translate(self, sentences: Sequence[LabelledSentence], tgt_lang: str) -> MarkerResult:
        """Translate a batch into ``tgt_lang``, keeping entity spans; one result per sentence.

        The source language of each sentence is its ``lang``. The translator is called once
        for the marked sentences and at most once more for the texts of the entities that need
        them (those of sentences whose markers do not pair up one-to-one with the entities,
        and of sentences with entities of several types, to match labels to marked spans).

        Raises
        ------
        InputError
            If a sentence is not a :class:`~xproj.types.LabelledSentence`.
        """
        for k, s in enumerate(sentences):
            if not isinstance(s, LabelledSentence):
                raise InputError(
                    f"expected a LabelledSentence, got {type(s).__name__}; marker translation "
                    "needs the source entities",
                    sentence=k,
                )
        pairs = [self._pair_for(s) for s in sentences]
        marked = [s.sentence if p is None else mark(s, p) for s, p in zip(sentences, pairs)]
        outputs = self.translator.translate(marked, tgt_lang)
        parsed = []
        for out, p in zip(outputs, pairs):
            parsed.append((list(out.words), [], 0) if p is None else parse_markers(out.words, p))
        # which sentences need their entities translated on their own
        need: dict[tuple[tuple[str, ...], str | None], None] = {}
        for s, (_, spans, _) in zip(sentences, parsed):
            labels = {e.label for e in s.spans}
            if s.spans and (len(spans) != len(s.spans) or len(labels) > 1):
                for e in s.spans:
                    need[(s.words[e.start : e.end], s.lang)] = None
        texts: dict[tuple[tuple[str, ...], str | None], str] = {}
        if need:
            keys = list(need)
            done = self.translator.translate([Sentence(w, lang) for w, lang in keys], tgt_lang)
            texts = {key: d.text for key, d in zip(keys, done)}
        results = []
        for s, p, (words, spans, garbled) in zip(sentences, pairs, parsed):
            results.append(self._resolve(s, p is not None, words, spans, garbled, texts, tgt_lang))
        return MarkerResult(results)

    def _resolve(
        self,
        source: LabelledSentence,
        was_marked: bool,
        words: list[str],
        marked: list[tuple[int, int]],
        garbled: int,
        texts: dict[tuple[tuple[str, ...], str | None], str],
        tgt_lang: str,
    ) -> MarkerTranslation:
        entities = source.spans
        k, m = len(entities), len(marked)
        cands: list[list[str]] = []  # each entity's original text and its own translation
        for e in entities:
            key = (source.words[e.start : e.end], source.lang)
            cands.append([source.span_text(e), *([texts[key]] if key in texts else [])])
        assigned: dict[int, tuple[int, float | None]] = {}  # entity -> (marked span, score)
        if k and m:
            if k == m and len({e.label for e in entities}) == 1:
                assigned = {i: (i, None) for i in range(k)}  # one type, one-to-one: by order
            else:
                from scipy.optimize import linear_sum_assignment

                sim = np.zeros((k, m))
                for i, c in enumerate(cands):
                    for j, (a, b) in enumerate(marked):
                        sim[i, j] = max(_similarity(" ".join(words[a:b]), t) for t in c)
                pos_i = np.arange(k)[:, None] / max(k - 1, 1)
                pos_j = np.arange(m)[None, :] / max(m - 1, 1)
                gain = sim + self.position_weight * (1 - np.abs(pos_i - pos_j))
                rows, cols = linear_sum_assignment(-gain)
                assigned = {int(i): (int(j), float(sim[i, j])) for i, j in zip(rows, cols)}
        found: list[tuple[int, int, int, Outcome, float | None]] = []  # start, end, entity, ...
        taken = np.zeros(len(words), dtype=bool)
        for i, (j, score) in assigned.items():
            a, b = marked[j]
            found.append((a, b, i, Outcome.MARKER, score))
            taken[a:b] = True
        if self.fuzzy:
            for i in range(k):
                if i in assigned:
                    continue
                hit = self._fuzzy_find(words, taken, cands[i])
                if hit is not None:
                    a, b, score = hit
                    found.append((a, b, i, Outcome.FUZZY, score))
                    taken[a:b] = True
        found.sort()
        spans = tuple(Span(a, b, entities[i].label) for a, b, i, _, _ in found)
        where = {i: (t, o, sc) for t, (_, _, i, o, sc) in enumerate(found)}
        outcomes = tuple(
            EntityOutcome(i, where[i][1], where[i][0], where[i][2])
            if i in where
            else EntityOutcome(i, Outcome.LOST)
            for i in range(k)
        )
        return MarkerTranslation(
            source=source,
            translation=LabelledSentence(tuple(words), spans, tgt_lang),
            outcomes=outcomes,
            n_spurious=m - len(assigned),
            n_garbled=garbled,
            marked=was_marked,
        )

    def _fuzzy_find(
        self, words: list[str], taken: np.ndarray, candidates: list[str]
    ) -> tuple[int, int, float] | None:
        """The free word range most similar to one of the candidate texts, if similar enough."""
        best: tuple[int, int, float] | None = None
        longest = max(len(c.split()) for c in candidates) + 2
        for a in range(len(words)):
            for b in range(a + 1, min(len(words), a + longest) + 1):
                if taken[b - 1]:
                    break
                text = " ".join(words[a:b])
                score = max(_similarity(text, c) for c in candidates)
                if score >= self.threshold and (best is None or score > best[2]):
                    best = (a, b, score)
        return best
