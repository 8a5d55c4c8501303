"""Scores of (source entity, candidate target span) pairs for the matching projectors.

A scorer takes a whole :class:`~xproj.project.candidates.CandidateBatch` and returns one float
per (entity, candidate) pair of every sentence: a flat array that is the concatenation of the
sentences' raveled ``(n_entities, n_candidates)`` score matrices. Working on the whole batch
lets a model-based scorer run its model once over all sentences (issue 4's NER-probability
and translation-likelihood scorers), and lets :class:`AlignmentScorer` use one vectorised
numpy expression for tens of thousands of sentences.

Scores are non-negative; a pair scoring 0 is never matched. Every scorer has a ``threshold``:
scores below it are set to 0.

Writing a scorer
----------------
Derive from :class:`Scorer` as a keyword-only dataclass and implement :meth:`Scorer._score`::

    @dataclass(kw_only=True)
    class LengthPrior(Scorer):
        '''Prefers candidates as long as the entity.'''

        def _score(self, batch: CandidateBatch) -> FloatArray:
            p = batch.problems
            ent_len = (p.ent_end - p.ent_start)[batch.pair_entity]
            cand_len = batch.pair_end - batch.pair_start
            return np.minimum(ent_len, cand_len) / np.maximum(ent_len, cand_len)

A scorer that is more naturally written per sentence can build the matrices and return
``batch.join(matrices)``; a stateful one keeps its model in a
``field(init=False, repr=False, compare=False)`` created on first use. A scorer that can
score candidates containing no target word linked to the entity above 0 needs extractors
built with ``require_link=False`` (see :mod:`xproj.project.candidates`). A scorer that never
does can say so by returning ``False`` from :meth:`Scorer.scores_unlinked`: the projectors
then skip those pairs.

Examples
--------
>>> from xproj import Alignment, LabelledSentence, Sentence, Span
>>> from xproj.project.candidates import CandidateBatch, NgramCandidates, ProblemBatch
>>> src = LabelledSentence(("Ana", "Lima", "sings"), (Span(0, 2, "PER"),))
>>> p = ProblemBatch.build([src], [Sentence(("canta", "Ana", "Lima"))],
...                        [Alignment(3, 3, ((0, 1), (1, 2), (2, 0)))])
>>> batch = CandidateBatch.build(p, NgramCandidates(max_words=2).extract(p))
>>> batch.candidates.spans(0)
[(0, 2), (1, 2), (1, 3), (2, 3)]
>>> AlignmentScorer().score_matrices(batch)[0].round(3)
array([[0.5  , 0.667, 1.   , 0.667]])
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xproj.errors import ParameterError
from xproj.params import Component, Interval, NoneOr, Predicate
from xproj.project.candidates import CandidateBatch, FloatArray

__all__ = ["AlignmentScorer", "Scorer", "WeightedFusion"]

_THRESHOLD = Interval(float, 0, None)


@dataclass(kw_only=True)
class Scorer(Component, ABC):
    """Scores every (entity, candidate) pair of a batch; batch-first.

    Parameters
    ----------
    threshold
        Scores below this are set to 0 (so those pairs are never matched).
    """

    threshold: float = 0.0

    def score(self, batch: CandidateBatch) -> FloatArray:
        """One non-negative score per pair of ``batch``, in its pair order, thresholded."""
        out = np.asarray(self._score(batch), dtype=np.float64)
        if out.shape != (batch.n_pairs,):
            raise RuntimeError(  # a scorer bug, never the user's
                f"{type(self).__name__} returned scores of shape {out.shape} for "
                f"{batch.n_pairs} pairs"
            )
        if self.threshold > 0:
            out = np.where(out < self.threshold, 0.0, out)
        return out

    def scores_unlinked(self) -> bool:
        """Whether this scorer may score a candidate above 0 for an entity when none of the
        candidate's words is linked to the entity's words. ``True`` unless a subclass knows
        better; when ``False`` (as for :class:`AlignmentScorer`) the matching projectors do
        not form such pairs at all, which changes no result and saves time."""
        return True

    def score_matrices(self, batch: CandidateBatch) -> list[FloatArray]:
        """:meth:`score` as one ``(n_entities, n_candidates)`` matrix per sentence."""
        return batch.split(self.score(batch))

    @abstractmethod
    def _score(self, batch: CandidateBatch) -> FloatArray:
        """Raw scores, one per pair of ``batch`` (see :class:`CandidateBatch` for the layout)."""


@dataclass(kw_only=True)
class AlignmentScorer(Scorer):
    """``2 * links(entity, candidate) / (len(entity) + len(candidate))``.

    ``links`` counts the alignment links between the entity's source words and the
    candidate's target words (a Dice coefficient: 1 when every word of both sides is linked
    exactly once across). Link scores and "possible" links are ignored.

    Parameters
    ----------
    threshold
        Scores below this are set to 0.

    Examples
    --------
    See the module example: the entity "Ana Lima" (2 words) is linked to "Ana" and "Lima";
    the candidate "Ana Lima" scores 2 * 2 / (2 + 2) = 1 and "Lima" 2 * 1 / (2 + 1) = 0.667.
    """

    _constraints = {"threshold": _THRESHOLD}

    def scores_unlinked(self) -> bool:
        return False  # no link between entity and candidate: 0 links, score 0

    def _score(self, batch: CandidateBatch) -> FloatArray:
        p = batch.problems
        csum, base = p.link_prefix()
        b = base[batch.pair_entity]
        links = csum[b + batch.pair_end] - csum[b + batch.pair_start]
        lengths = (p.ent_end - p.ent_start)[batch.pair_entity] + (batch.pair_end - batch.pair_start)
        out: FloatArray = 2.0 * links / lengths
        return out


def _scorer_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) > 0 and all(isinstance(v, Scorer) for v in value)


def _weights(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) > 0
        and all(
            isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 and np.isfinite(w)
            for w in value
        )
        and sum(value) > 0
    )


@dataclass(kw_only=True)
class WeightedFusion(Scorer):
    """A weighted sum of several scorers' scores.

    Parameters
    ----------
    scorers
        The scorers to combine, each applying its own threshold first.
    weights
        One non-negative weight per scorer; ``None`` gives each ``1 / len(scorers)``.
    threshold
        Fused scores below this are set to 0.

    Examples
    --------
    >>> f = WeightedFusion(scorers=(AlignmentScorer(), AlignmentScorer(threshold=0.5)),
    ...                    weights=(0.25, 0.75))
    >>> f.get_params()["scorers"][1].threshold
    0.5
    >>> try:
    ...     WeightedFusion(scorers=(AlignmentScorer(),), weights=(1.0, 2.0))
    ... except ParameterError as e:
    ...     print(e)
    WeightedFusion got 1 scorers but 2 weights; give one weight per scorer
    """

    scorers: tuple[Scorer, ...]
    weights: tuple[float, ...] | None = None
    _constraints = {
        "scorers": Predicate(_scorer_tuple, "a non-empty tuple of Scorer instances"),
        "weights": NoneOr(
            Predicate(_weights, "a tuple of non-negative finite weights with a positive sum")
        ),
        "threshold": _THRESHOLD,
    }

    def validate_params(self) -> None:
        super().validate_params()
        self._check_lengths()

    def _check_lengths(self) -> None:
        if self.weights is not None and len(self.weights) != len(self.scorers):
            raise ParameterError(
                f"WeightedFusion got {len(self.scorers)} scorers but {len(self.weights)} "
                "weights; give one weight per scorer"
            )

    def scores_unlinked(self) -> bool:
        weights = self._resolved_weights()
        return any(s.scores_unlinked() for s, w in zip(self.scorers, weights) if w)

    def _resolved_weights(self) -> Sequence[float]:
        if self.weights is None:
            return [1.0 / len(self.scorers)] * len(self.scorers)
        return self.weights

    def _score(self, batch: CandidateBatch) -> FloatArray:
        total: FloatArray = np.zeros(batch.n_pairs, dtype=np.float64)
        for scorer, w in zip(self.scorers, self._resolved_weights()):
            if w:
                total += w * scorer.score(batch)
        return total
