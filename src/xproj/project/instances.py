"""What a solver works on and returns: a :class:`MatchingInstance` (the positive-score
(entity, candidate) pairs of a batch, flat and sorted), the :class:`Solution` a solver chose
and its :class:`SolveStats`, and the :class:`CountConstraint` on each entity's number of
projections. The solvers themselves are in :mod:`xproj.project.solvers`, which re-exports these.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from xproj.errors import InputError
from xproj.project.candidates import CandidateBatch
from xproj.project.problems import BoolArray, FloatArray, IntArray, _offsets

__all__ = ["CountConstraint", "MatchingInstance", "Solution", "SolveStats"]


class CountConstraint(str, enum.Enum):
    """How many candidates each entity (with a positive-score candidate) is projected onto,
    relative to ``n_proj``: ``sum_t x[s, t] <op> n_proj``."""

    LE = "<="
    LT = "<"
    EQ = "="
    GE = ">="
    GT = ">"


@dataclass(frozen=True, eq=False)
class MatchingInstance:
    """Positive-score (entity, candidate) pairs of a batch, flat and sorted.

    Attributes
    ----------
    ent_offsets
        ``(n + 1,)``: sentence ``k`` has entities ``ent_offsets[k]:ent_offsets[k + 1]`` (all of
        them, also those without pairs).
    entity, start, end, score
        ``(P,)``: each pair's global entity, candidate word range and score (> 0), sorted by
        entity, then start, then end, without repeated (entity, start, end).
    """

    ent_offsets: IntArray
    entity: IntArray
    start: IntArray
    end: IntArray
    score: FloatArray

    def __post_init__(self) -> None:
        if len(self.score) and not bool(np.all(self.score > 0)):
            raise InputError("a matching instance holds only pairs with a positive score")

    @classmethod
    def from_batch(
        cls, batch: CandidateBatch, scores: FloatArray, min_score: float = 0.0
    ) -> tuple[MatchingInstance, IntArray]:
        """The pairs of ``batch`` whose score is positive and at least ``min_score``.

        Returns the instance and, for each of its pairs, the index of the pair in ``batch``.
        """
        keep = scores > 0
        if min_score > 0:
            keep &= scores >= min_score
        idx = np.flatnonzero(keep).astype(np.int64)
        inst = cls(
            batch.problems.ent_offsets,
            batch.pair_entity[idx],
            batch.pair_start[idx],
            batch.pair_end[idx],
            scores[idx],
        )
        return inst, idx

    @classmethod
    def from_matrices(
        cls,
        scores: Sequence[Any],
        candidates: Sequence[Sequence[tuple[int, int]]],
    ) -> MatchingInstance:
        """Build from per-sentence ``(n_entities, n_candidates)`` score matrices and the
        candidates' ``(start, end)`` word ranges; pairs scoring 0 are left out.

        >>> inst = MatchingInstance.from_matrices([[[0.5, 0.0]], []], [[(0, 1), (1, 3)], []])
        >>> inst.n_sentences, inst.entity.tolist(), inst.start.tolist(), inst.score.tolist()
        (2, [0], [0], [0.5])
        """
        if len(scores) != len(candidates):
            raise InputError(f"{len(scores)} score matrices but {len(candidates)} candidate lists")
        counts: list[int] = []
        rows: list[tuple[int, int, int, float]] = []
        first = 0
        for k, (m, cands) in enumerate(zip(scores, candidates)):
            mat = np.asarray(m, dtype=np.float64).reshape(-1, len(cands)) if len(cands) else None
            n_ent = 0 if mat is None else mat.shape[0]
            if len(set(cands)) != len(cands):
                raise InputError("candidates must be distinct word ranges", sentence=k)
            for e in range(n_ent):
                assert mat is not None
                for (s, t), c in zip(cands, mat[e]):
                    if not (0 <= s < t):
                        raise InputError(f"candidate [{s}, {t}) is not a word range", sentence=k)
                    if c < 0 or not np.isfinite(c):
                        raise InputError(f"score {c} is not a finite number >= 0", sentence=k)
                    if c > 0:
                        rows.append((first + e, int(s), int(t), float(c)))
            counts.append(n_ent)
            first += n_ent
        rows.sort()
        arr = np.array([r[:3] for r in rows], dtype=np.int64).reshape(-1, 3)
        return cls(
            _offsets(np.array(counts, dtype=np.int64)),
            arr[:, 0],
            arr[:, 1],
            arr[:, 2],
            np.array([r[3] for r in rows], dtype=np.float64),
        )

    @property
    def n_sentences(self) -> int:
        return len(self.ent_offsets) - 1

    @property
    def n_pairs(self) -> int:
        return len(self.entity)

    def entity_sentence(self) -> IntArray:
        """``(E,)``: the sentence of each entity."""
        n = self.n_sentences
        out: IntArray = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.ent_offsets))
        return out

    def pair_sentence(self) -> IntArray:
        """``(P,)``: the sentence of each pair."""
        out: IntArray = self.entity_sentence()[self.entity]
        return out

    def objective(self, chosen: BoolArray) -> FloatArray:
        """Each sentence's sum of chosen scores."""
        idx = np.flatnonzero(chosen)
        out: FloatArray = np.bincount(
            self.pair_sentence()[idx], weights=self.score[idx], minlength=self.n_sentences
        ).astype(np.float64)
        return out

    def check(self, chosen: BoolArray, n_proj: int | None = None) -> None:
        """Raise :class:`AssertionError` unless ``chosen`` has no overlap (and at most
        ``n_proj`` pairs per entity); for tests.

        >>> inst = MatchingInstance.from_matrices([[[0.5, 0.4]]], [[(0, 2), (1, 3)]])
        >>> inst.check(np.array([True, True]))
        Traceback (most recent call last):
        ...
        AssertionError: sentence 0: chosen candidates [0, 2) and [1, 3) overlap
        """
        idx = np.flatnonzero(chosen)
        sent = self.pair_sentence()[idx]
        order = np.lexsort((self.start[idx], sent))
        idx, sent = idx[order], sent[order]
        # Sorted by start, the spans are pairwise disjoint iff neighbours are.
        for j in range(len(idx) - 1):
            a, b = idx[j], idx[j + 1]
            if sent[j] == sent[j + 1] and self.start[b] < self.end[a]:
                raise AssertionError(
                    f"sentence {sent[j]}: chosen candidates [{self.start[a]}, {self.end[a]}) "
                    f"and [{self.start[b]}, {self.end[b]}) overlap"
                )
        if n_proj is not None:
            per = np.bincount(self.entity[idx], minlength=len(self.entity_sentence()))
            if per.size and per.max() > n_proj:
                raise AssertionError(f"an entity got {per.max()} > n_proj={n_proj} candidates")


@dataclass
class SolveStats:
    """What a solver did with a batch.

    Attributes
    ----------
    sentences, pairs
        Sentences and positive-score pairs in.
    pairs_kept
        Pairs left after removing dominated ones, which no solution needs (see the solvers).
    components
        Independent blocks: sets of entities whose candidates interact.
    evident
        Components whose optimum is each entity's best candidate, proven without search.
    dp
        Components solved exactly by dynamic programming in Python.
    cbc
        Components sent to CBC; ``cbc_calls`` how many CBC runs that took (one per batch at
        most) and ``cbc_seconds`` how long they took, model building included.
    relaxed
        Sentences whose count constraint could not be met and was relaxed (see
        ``ILPSolver.on_infeasible``).
    """

    sentences: int = 0
    pairs: int = 0
    pairs_kept: int = 0
    components: int = 0
    evident: int = 0
    dp: int = 0
    cbc: int = 0
    cbc_calls: int = 0
    cbc_seconds: float = 0.0
    relaxed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class Solution:
    """The pairs a solver chose.

    Attributes
    ----------
    chosen
        ``(P,)`` booleans over the instance's pairs.
    objective
        ``(n,)``: each sentence's sum of chosen scores.
    relaxed
        ``(n,)``: whether the sentence's count constraint was infeasible and relaxed.
    stats
        :class:`SolveStats` of the run.
    """

    chosen: BoolArray
    objective: FloatArray
    relaxed: BoolArray
    stats: SolveStats = field(default_factory=SolveStats)

    @property
    def total(self) -> float:
        """The batch's objective, the sum over sentences."""
        return float(self.objective.sum())

    def assignment(self, instance: MatchingInstance, k: int) -> list[tuple[int, int, int, float]]:
        """Sentence ``k``'s chosen pairs as ``(entity in the sentence, start, end, score)``."""
        lo, hi = int(instance.ent_offsets[k]), int(instance.ent_offsets[k + 1])
        idx = np.flatnonzero(self.chosen & (instance.entity >= lo) & (instance.entity < hi))
        return [
            (
                int(instance.entity[i]) - lo,
                int(instance.start[i]),
                int(instance.end[i]),
                float(instance.score[i]),
            )
            for i in idx
        ]
