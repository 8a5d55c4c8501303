"""Candidate target spans for the matching projectors, and the flat batch they come from.

A *matching problem* is one sentence pair: the source entities (the spans of a
:class:`~xproj.types.LabelledSentence`), the target words, their word alignment, and a set of
*candidate* target spans (half-open word ranges) that the entities may be projected onto.
Everything here is batch-first and flat: a :class:`ProblemBatch` holds the entities, links and
target positions of many sentences in concatenated numpy arrays, and an extractor returns the
candidates of the whole batch as one :class:`CandidateSet`, so that no step loops over
sentences in Python.

Extractors
----------
:class:`NgramCandidates` (``"ngrams"``)
    Every n-gram of at most ``max_words`` target words containing no sentence-final
    punctuation (see :data:`SENTENCE_FINAL_PUNCTUATION`).
:class:`AlignedRanges` (``"aligned_ranges"``)
    For each entity, every sub-range between the leftmost and rightmost target word linked to it.
:class:`AlignedMerges` (``"aligned_merges"``)
    For each entity, the maximal runs of target words linked to it and every merge of
    consecutive runs (run *i* through run *j*, gaps included).
:class:`ExternalCandidates` (``"external"``)
    Spans supplied per sentence, e.g. a target-side NER model's (labels are ignored; the
    projected label always comes from the source entity).
:class:`UnionCandidates`
    The union of several extractors' candidates.

Only candidates with a positive score can ever be projected onto. With ``require_link=True``
(the default) the first three extractors drop candidates that contain no target word linked
to any source entity: those score 0 under :class:`~xproj.project.scorers.AlignmentScorer`, so
dropping them changes no projection under alignment-based scoring. Set ``require_link=False``
when a model-based scorer may score such candidates above 0.

Examples
--------
>>> from xproj import Alignment, LabelledSentence, Sentence, Span
>>> src = LabelledSentence(("in", "New", "York", "."), (Span(1, 3, "LOC"),))
>>> tgt = Sentence(("en", "Nueva", "York", "."))
>>> ali = Alignment(4, 4, ((0, 0), (1, 1), (2, 2), (3, 3)))
>>> batch = ProblemBatch.build([src], [tgt], [ali])
>>> NgramCandidates(max_words=3).extract(batch).spans(0)
[(0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
>>> AlignedRanges().extract(batch).spans(0)
[(1, 2), (1, 3), (2, 3)]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xproj.errors import InputError
from xproj.params import Component, InstanceOf, Interval, NoneOr, Predicate
from xproj.project.problems import (
    SENTENCE_FINAL_PUNCTUATION,
    BoolArray,
    CandidateSet,
    FloatArray,
    IntArray,
    ProblemBatch,
    _concat_ranges,
    _offsets,
    is_sentence_final,
)
from xproj.types import Alignment, LabelledSentence, Sentence

__all__ = [
    "SENTENCE_FINAL_PUNCTUATION",
    "AlignedMerges",
    "AlignedRanges",
    "BoolArray",
    "CandidateBatch",
    "CandidateExtractor",
    "CandidateSet",
    "ExternalCandidates",
    "FloatArray",
    "IntArray",
    "MatchingProblem",
    "NgramCandidates",
    "ProblemBatch",
    "UnionCandidates",
    "is_sentence_final",
]


@dataclass(kw_only=True)
class CandidateExtractor(Component, ABC):
    """Proposes candidate target spans for every sentence of a batch at once.

    Subclasses implement :meth:`extract`, returning one :class:`CandidateSet` for the whole
    :class:`ProblemBatch` (use :meth:`CandidateSet.from_arrays`). Candidates must lie inside
    their target sentence.
    """

    @abstractmethod
    def extract(self, problems: ProblemBatch) -> CandidateSet:
        """The candidates of every sentence in ``problems``."""


_MAX_WORDS = Interval(int, 1, None)


def _range_candidates(
    problems: ProblemBatch,
    first: IntArray,
    last_end: IntArray,
    max_words: int | None,
    require_link: bool,
    *,
    sorted_unique: bool = False,
) -> CandidateSet:
    """All ranges ``[a, b)`` with ``first[r] <= a``, ``b <= last_end[r]`` (flat positions, one
    row ``r`` per allowed start ``a = first[r]``), no sentence-final word, at most
    ``max_words`` words and, with ``require_link``, a word linked to some entity.

    Returns them as candidates (sentence-local spans); ``sorted_unique`` as for
    :meth:`CandidateSet.from_arrays`.
    """
    a = first
    stop = np.minimum(problems.next_final()[a], last_end)  # exclusive bound on the end
    lo = a + 1
    if require_link:
        lo = np.maximum(lo, problems.next_linked()[a] + 1)
    hi = stop if max_words is None else np.minimum(stop, a + max_words)
    ends, row = _concat_ranges(lo, hi - lo + 1)
    start = a[row]
    sentence = problems.position_sentence()[start]
    base = problems.tgt_offsets[sentence]
    return CandidateSet.from_arrays(
        len(problems), sentence, start - base, ends - base, sorted_unique=sorted_unique
    )


@dataclass(kw_only=True)
class NgramCandidates(CandidateExtractor):
    """Every n-gram of 1 to ``max_words`` target words without sentence-final punctuation.

    Parameters
    ----------
    max_words
        The longest candidate, in words.
    require_link
        Keep only n-grams containing a target word linked to some source entity (the others
        score 0 under alignment scoring); ``False`` keeps all of them, for model-based scorers.

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence, Span
    >>> src = LabelledSentence(("Ana", "sings", "."), (Span(0, 1, "PER"),))
    >>> batch = ProblemBatch.build([src], [Sentence(("Ana", "canta", "."))],
    ...                            [Alignment(3, 3, ((0, 0), (1, 1), (2, 2)))])
    >>> NgramCandidates().extract(batch).spans(0)
    [(0, 1), (0, 2)]
    >>> NgramCandidates(require_link=False).extract(batch).spans(0)
    [(0, 1), (0, 2), (1, 2)]
    """

    max_words: int = 10
    require_link: bool = True
    _constraints = {"max_words": _MAX_WORDS, "require_link": InstanceOf((bool,))}

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        n_pos = int(problems.tgt_offsets[-1])
        pos = np.arange(n_pos, dtype=np.int64)
        sentence_end = problems.tgt_offsets[1:][problems.position_sentence()]
        return _range_candidates(
            problems, pos, sentence_end, self.max_words, self.require_link, sorted_unique=True
        )


@dataclass(kw_only=True)
class AlignedRanges(CandidateExtractor):
    """For each entity, every sub-range between its leftmost and rightmost linked target word.

    Ranges containing sentence-final punctuation are left out, as are (with ``require_link``)
    ranges containing no word linked to any entity; ``max_words`` caps the length.

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence, Span
    >>> src = LabelledSentence(("the", "Red", "Cross"), (Span(1, 3, "ORG"),))
    >>> batch = ProblemBatch.build([src], [Sentence(("la", "Cruz", "muy", "Roja"))],
    ...                            [Alignment(3, 4, ((0, 0), (1, 3), (2, 1)))])
    >>> AlignedRanges().extract(batch).spans(0)
    [(1, 2), (1, 3), (1, 4), (2, 4), (3, 4)]
    """

    max_words: int | None = 10
    require_link: bool = True
    _constraints = {"max_words": NoneOr(_MAX_WORDS), "require_link": InstanceOf((bool,))}

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        ents, first, last = problems.entity_hulls()
        flat0 = problems.tgt_offsets[problems.ent_sentence[ents]]
        starts, row = _concat_ranges(flat0 + first, last - first + 1)
        return _range_candidates(
            problems, starts, (flat0 + last + 1)[row], self.max_words, self.require_link
        )


@dataclass(kw_only=True)
class AlignedMerges(CandidateExtractor):
    """For each entity, the runs of target words linked to it and every merge of neighbouring runs.

    A *run* is a maximal stretch of consecutive target words linked to the entity. The
    candidates of an entity with runs ``r_1 .. r_m`` are ``[start(r_i), end(r_j))`` for all
    ``i <= j`` (the words between runs included), at most ``max_words`` long and without
    sentence-final punctuation. These are the spans the heuristic projector chooses among.

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence, Span
    >>> src = LabelledSentence(("the", "Red", "Cross"), (Span(1, 3, "ORG"),))
    >>> batch = ProblemBatch.build([src], [Sentence(("la", "Cruz", "muy", "Roja"))],
    ...                            [Alignment(3, 4, ((0, 0), (1, 3), (2, 1)))])
    >>> AlignedMerges().extract(batch).spans(0)
    [(1, 2), (1, 4), (3, 4)]
    """

    max_words: int | None = 10
    _constraints = {"max_words": NoneOr(_MAX_WORDS)}

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        e, t = problems.el_entity, problems.el_target
        n = len(problems)
        if len(e) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return CandidateSet.from_arrays(n, empty, empty, empty, sorted_unique=True)
        new_entity = np.r_[True, e[1:] != e[:-1]]
        # Runs: a new run starts at a new entity or where the target word skips ahead by > 1.
        distinct = np.r_[True, (e[1:] != e[:-1]) | (t[1:] != t[:-1])]
        e, t, new_entity = e[distinct], t[distinct], new_entity[distinct]
        new_run = new_entity | np.r_[True, t[1:] != t[:-1] + 1]
        run_first = np.flatnonzero(new_run)
        run_last = np.r_[run_first[1:], len(t)] - 1
        run_entity = e[run_first]
        run_start, run_end = t[run_first], t[run_last] + 1
        # Run j of the same entity, for each run i <= j.
        entity_last_run = np.r_[np.flatnonzero(np.diff(run_entity)), len(run_entity) - 1]
        group = np.cumsum(np.r_[True, np.diff(run_entity) != 0]) - 1
        last_of_run = entity_last_run[group]
        idx = np.arange(len(run_entity), dtype=np.int64)
        j, i = _concat_ranges(idx, last_of_run - idx + 1)
        sentence = problems.ent_sentence[run_entity[i]]
        start, end = run_start[i], run_end[j]
        flat0 = problems.tgt_offsets[sentence]
        keep = problems.next_final()[flat0 + start] >= flat0 + end
        if self.max_words is not None:
            keep &= end - start <= self.max_words
        return CandidateSet.from_arrays(n, sentence[keep], start[keep], end[keep])


@dataclass(kw_only=True)
class ExternalCandidates(CandidateExtractor):
    """The spans given to :meth:`~xproj.project.matching.MatchingProjector.project_with_candidates`,
    one list per sentence (for example a target-side NER model's spans). Their labels are ignored.

    Raises
    ------
    InputError
        If no spans were given (the projector was called through ``project``), or a span lies
        outside its target sentence.
    """

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        given = problems.external
        if given is None:
            raise InputError(
                "ExternalCandidates needs candidate spans: call project_with_candidates(sources, "
                "targets, alignments, candidates) with one list of spans per sentence"
            )
        counts = np.fromiter((len(c) for c in given), np.int64, len(given))
        flat = [(sp.start, sp.end) for c in given for sp in c]
        arr = np.array(flat, dtype=np.int64).reshape(-1, 2)
        sentence = np.repeat(np.arange(len(given), dtype=np.int64), counts)
        bad = np.flatnonzero(arr[:, 1] > problems.tgt_len[sentence])
        if len(bad):
            k = int(sentence[bad[0]])
            s, e = arr[bad[0]].tolist()
            raise InputError(
                f"external candidate [{s}, {e}) ends past the target's {int(problems.tgt_len[k])} "
                "words; give spans as word ranges of the target sentence",
                sentence=k,
            )
        return CandidateSet.from_arrays(len(problems), sentence, arr[:, 0], arr[:, 1])


def _nonempty_extractors(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) > 0
        and all(isinstance(v, CandidateExtractor) for v in value)
    )


@dataclass(kw_only=True)
class UnionCandidates(CandidateExtractor):
    """The union of several extractors' candidates (duplicates removed).

    Examples
    --------
    >>> u = UnionCandidates(extractors=(AlignedMerges(), ExternalCandidates()))
    >>> [type(x).__name__ for x in u.extractors]
    ['AlignedMerges', 'ExternalCandidates']
    """

    extractors: tuple[CandidateExtractor, ...]
    _constraints = {
        "extractors": Predicate(
            _nonempty_extractors, "a non-empty tuple of CandidateExtractor instances"
        )
    }

    def extract(self, problems: ProblemBatch) -> CandidateSet:
        parts = [x.extract(problems) for x in self.extractors]
        return CandidateSet.from_arrays(
            len(problems),
            np.concatenate([p.sentence for p in parts]),
            np.concatenate([p.start for p in parts]),
            np.concatenate([p.end for p in parts]),
        )


@dataclass(frozen=True)
class MatchingProblem:
    """One sentence's matching problem, for inspection and per-sentence scorers.

    Attributes
    ----------
    source, target, alignment
        The sentence pair and its alignment.
    candidates
        The candidate target spans as ``(start, end)`` pairs.
    """

    source: LabelledSentence
    target: Sentence
    alignment: Alignment
    candidates: tuple[tuple[int, int], ...]


def _linked_pairs(problems: ProblemBatch, candidates: CandidateSet) -> tuple[IntArray, IntArray]:
    """``(entity, candidate)`` of every pair whose candidate contains a target word linked to
    the entity, sorted by entity, then candidate.

    Each such candidate ``[a, b)`` is found once, from the first linked word ``t >= a``: with
    ``t'`` the entity's previous linked word, ``t' < a <= t < b``. Candidates are sorted by
    (sentence, start, end), so for each (entity, ``t``, ``a``) the candidates with start ``a``
    and end ``> t`` are one contiguous index range.
    """
    e, t = problems.el_entity, problems.el_target
    empty = np.zeros(0, dtype=np.int64)
    if len(e) == 0 or len(candidates) == 0:
        return empty, empty
    distinct = np.r_[True, (e[1:] != e[:-1]) | (t[1:] != t[:-1])]
    e, t = e[distinct], t[distinct]
    t_prev = np.r_[-1, t[:-1]]
    t_prev[np.r_[True, e[1:] != e[:-1]]] = -1
    longest = int((candidates.end - candidates.start).max())
    a_lo = np.maximum(t_prev + 1, t - longest + 1)
    a, row = _concat_ranges(a_lo, t - a_lo + 1)
    m = int(candidates.end.max()) + 2
    key = (candidates.sentence * m + candidates.start) * m + candidates.end
    sent_m = problems.ent_sentence[e[row]] * m
    lo = np.searchsorted(key, (sent_m + a) * m + t[row] + 1)
    hi = np.searchsorted(key, (sent_m + a + 1) * m)
    cand, r2 = _concat_ranges(lo.astype(np.int64), (hi - lo).astype(np.int64))
    return e[row[r2]], cand


@dataclass(frozen=True, eq=False)
class CandidateBatch:
    """A :class:`ProblemBatch` with its candidates and their (entity, candidate) pairs.

    With ``linked_only=False`` (dense) the pairs of sentence ``k`` are every entity with every
    candidate, laid out as the row-major ``(n_entities_k, n_candidates_k)`` matrix, so a flat
    score array over the pairs is the concatenation of the raveled per-sentence score
    matrices. With ``linked_only=True`` only the pairs whose candidate contains a target word
    linked to the entity are formed (the others score 0 under alignment-based scoring), in
    the same order. Either way pairs are sorted by entity, then candidate start and end, and
    :meth:`split` / :meth:`join` convert between the flat array and per-sentence matrices
    (zeros where no pair was formed).

    Attributes
    ----------
    problems, candidates
        The batch and its candidates.
    dense
        Whether every (entity, candidate) pair is formed.
    pair_offsets
        ``(n + 1,)``: the pairs of sentence ``k`` are ``pair_offsets[k]:pair_offsets[k + 1]``.
    pair_entity, pair_candidate
        ``(P,)``: the global entity and candidate of each pair.
    pair_start, pair_end
        ``(P,)``: the candidate's target word range, repeated per pair for convenience.
    """

    problems: ProblemBatch
    candidates: CandidateSet
    dense: bool
    pair_offsets: IntArray
    pair_entity: IntArray
    pair_candidate: IntArray
    pair_start: IntArray
    pair_end: IntArray

    @classmethod
    def build(
        cls, problems: ProblemBatch, candidates: CandidateSet, *, linked_only: bool = False
    ) -> CandidateBatch:
        """Pair the entities of each sentence with its candidates (see the class docstring)."""
        n = len(problems)
        if len(candidates.offsets) != n + 1:  # an extractor bug, never the user's
            raise RuntimeError(
                f"the candidate set covers {len(candidates.offsets) - 1} sentences, the batch {n}"
            )
        if linked_only:
            entity, cand = _linked_pairs(problems, candidates)
            count = np.bincount(problems.ent_sentence[entity], minlength=n).astype(np.int64)
            pair_offsets = _offsets(count)
        else:
            ne = np.diff(problems.ent_offsets)
            nc = np.diff(candidates.offsets)
            pair_offsets = _offsets(ne * nc)
            # Only sentences with pairs: entity-major blocks, one candidate range per entity.
            ents_with = np.flatnonzero(nc[problems.ent_sentence] > 0)
            k = problems.ent_sentence[ents_with]
            cand, row = _concat_ranges(candidates.offsets[k], nc[k])
            entity = ents_with[row]
        return cls(
            problems=problems,
            candidates=candidates,
            dense=not linked_only,
            pair_offsets=pair_offsets,
            pair_entity=entity,
            pair_candidate=cand,
            pair_start=candidates.start[cand],
            pair_end=candidates.end[cand],
        )

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_entity)

    def shape(self, k: int) -> tuple[int, int]:
        """``(n_entities, n_candidates)`` of sentence ``k``."""
        p, c = self.problems.ent_offsets, self.candidates.offsets
        return int(p[k + 1] - p[k]), int(c[k + 1] - c[k])

    def _local(self) -> tuple[IntArray, IntArray]:
        """Each pair's row (entity) and column (candidate) in its sentence's matrix."""
        sent = self.problems.ent_sentence[self.pair_entity]
        rows = self.pair_entity - self.problems.ent_offsets[sent]
        cols = self.pair_candidate - self.candidates.offsets[sent]
        return rows, cols

    def split(self, flat: FloatArray) -> list[FloatArray]:
        """Per-sentence ``(n_entities, n_candidates)`` matrices of a flat pair array (views
        when dense; zeros where no pair was formed otherwise)."""
        if len(flat) != self.n_pairs:
            raise InputError(f"{len(flat)} scores for the batch's {self.n_pairs} pairs")
        out: list[FloatArray] = []
        offs = self.pair_offsets.tolist()
        if self.dense:
            for k in range(len(self)):
                out.append(flat[offs[k] : offs[k + 1]].reshape(self.shape(k)))
            return out
        rows, cols = self._local()
        for k in range(len(self)):
            m = np.zeros(self.shape(k), dtype=np.float64)
            lo, hi = offs[k], offs[k + 1]
            m[rows[lo:hi], cols[lo:hi]] = flat[lo:hi]
            out.append(m)
        return out

    def join(self, matrices: Sequence[FloatArray]) -> FloatArray:
        """The flat pair array of per-sentence ``(n_entities, n_candidates)`` matrices (only
        the formed pairs' entries when not dense).

        Raises
        ------
        InputError
            If a matrix has the wrong shape, naming its sentence.
        """
        if len(matrices) != len(self):
            raise InputError(f"{len(matrices)} score matrices for {len(self)} sentences")
        for k, m in enumerate(matrices):
            if np.shape(m) != self.shape(k):
                raise InputError(
                    f"score matrix of shape {np.shape(m)}, expected (entities, candidates) = "
                    f"{self.shape(k)}",
                    sentence=k,
                )
        if not matrices:
            return np.zeros(0, dtype=np.float64)
        if self.dense:
            return np.concatenate([np.asarray(m, dtype=np.float64).ravel() for m in matrices])
        rows, cols = self._local()
        offs = self.pair_offsets.tolist()
        parts = [
            np.asarray(m, dtype=np.float64)[
                rows[offs[k] : offs[k + 1]], cols[offs[k] : offs[k + 1]]
            ]
            for k, m in enumerate(matrices)
        ]
        return np.concatenate(parts)

    def problem(self, k: int) -> MatchingProblem:
        """The matching problem of sentence ``k``."""
        p = self.problems
        return MatchingProblem(
            p.sources[k], p.targets[k], p.alignments[k], tuple(self.candidates.spans(k))
        )

    def pair_strings(self) -> tuple[list[str], list[str]]:
        """The entity text and the candidate text of every pair, for string-based scorers."""
        p = self.problems
        src_text = [
            " ".join(p.sources[k].words[s:e])
            for k, s, e in zip(p.ent_sentence.tolist(), p.ent_start.tolist(), p.ent_end.tolist())
        ]
        sent = self.candidates.sentence.tolist()
        cand_text = [
            " ".join(p.targets[k].words[s:e])
            for k, s, e in zip(sent, self.candidates.start.tolist(), self.candidates.end.tolist())
        ]
        return (
            [src_text[e] for e in self.pair_entity.tolist()],
            [cand_text[c] for c in self.pair_candidate.tolist()],
        )
