"""The candidate-matching projectors' shared machinery: extract, score, solve, build projections.

:class:`MatchingProjector` runs four batch-level steps, each pluggable:

1. a :class:`~xproj.project.candidates.CandidateExtractor` proposes candidate target spans for
   every sentence (:class:`~xproj.project.candidates.CandidateSet`);
2. the (source entity, candidate) pairs of each sentence are formed
   (:class:`~xproj.project.candidates.CandidateBatch`): all of them, or, when the scorer says
   it scores 0 without links (:meth:`~xproj.project.scorers.Scorer.scores_unlinked`), only
   those whose candidate contains a target word linked to the entity;
3. a :class:`~xproj.project.scorers.Scorer` scores all pairs of the batch at once;
4. a :class:`~xproj.project.solvers.Solver` chooses non-overlapping pairs among those scoring
   above 0 (and at least ``min_score``).

Each chosen pair becomes a :class:`~xproj.types.ProjectedSpan` labelled with its source
entity's label and scored with the pair's score. :meth:`MatchingProjector.match` returns the
intermediate objects (:class:`Matching`), so solvers can be compared on the same problems.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from xproj._batch import check_same_length
from xproj.params import InstanceOf, Interval
from xproj.project.base import Projector, check_projection_inputs
from xproj.project.candidates import (
    CandidateBatch,
    CandidateExtractor,
    ExternalCandidates,
    FloatArray,
    IntArray,
    NgramCandidates,
    ProblemBatch,
    UnionCandidates,
)
from xproj.project.ner_scorer import share_labelling
from xproj.project.scorers import AlignmentScorer, Scorer
from xproj.project.solvers import MatchingInstance, Solution, Solver
from xproj.reported import Reported
from xproj.types import Alignment, LabelledSentence, ProjectedSpan, Projection, Sentence, Span

__all__ = ["Matching", "MatchingProjector"]


@dataclass(frozen=True, eq=False)
class Matching:
    """Everything a matching projector computed for one batch.

    Attributes
    ----------
    batch
        The problems, their candidates and all (entity, candidate) pairs.
    scores
        The scorer's score of every pair of ``batch``.
    instance
        The pairs that may be matched (score > 0 and >= ``min_score``).
    pair_index
        For each pair of ``instance``, its index in ``batch``.
    solution
        The solver's choice among ``instance``'s pairs, with per-sentence objectives.
    """

    batch: CandidateBatch
    scores: FloatArray
    instance: MatchingInstance
    pair_index: IntArray
    solution: Solution


@dataclass(kw_only=True)
class MatchingProjector(Projector, ABC):
    """Projects entities by matching them to scored candidate spans; see the module docstring.

    Parameters
    ----------
    candidates
        The candidate extractor (default: n-grams of up to 10 words containing a linked word).
    scorer
        The pair scorer (default: the alignment score).
    n_proj
        How many candidates an entity may be projected onto.
    min_score
        Pairs scoring below this are never matched (pairs scoring 0 never are).
    """

    #: The ``method`` of the :class:`~xproj.types.ProjectedSpan` objects this projector makes.
    span_method: ClassVar[str] = ""
    candidates: CandidateExtractor = field(default_factory=NgramCandidates)
    scorer: Scorer = field(default_factory=AlignmentScorer)
    n_proj: int = 1
    min_score: float = 0.0
    _constraints = {
        "candidates": InstanceOf((CandidateExtractor,)),
        "scorer": InstanceOf((Scorer,)),
        "n_proj": Interval(int, 1, None),
        "min_score": Interval(float, 0, None),
    }

    @abstractmethod
    def make_solver(self) -> Solver:
        """The solver this projector's parameters describe."""

    def match(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
        candidates: Sequence[Sequence[Span]] | None = None,
    ) -> Matching:
        """Extract, score and solve a batch without building projections.

        ``candidates``, if given, are added to the extractor's (one list per sentence).
        """
        return self._match(sources, targets, alignments, candidates, stacklevel=4)

    def _match(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
        candidates: Sequence[Sequence[Span]] | None,
        *,
        stacklevel: int,
    ) -> Matching:
        check_projection_inputs(sources, targets, alignments)
        extractor = self.candidates
        if candidates is not None:
            check_same_length(sources=sources, candidates=candidates)
            if not isinstance(extractor, ExternalCandidates):
                extractor = UnionCandidates(extractors=(extractor, ExternalCandidates()))
        problems = ProblemBatch.build(sources, targets, alignments, candidates)
        share_labelling(extractor, self.scorer)  # one labelling for NER candidates and scores
        batch = CandidateBatch.build(
            problems,
            extractor.extract(problems),
            linked_only=not self.scorer.scores_unlinked(),
        )
        scores = self.scorer.score(batch)
        instance, pair_index = MatchingInstance.from_batch(batch, scores, self.min_score)
        solution = self.make_solver().solve(instance)
        self._report(solution, stacklevel=stacklevel)
        return Matching(batch, scores, instance, pair_index, solution)

    def _report(self, solution: Solution, *, stacklevel: int) -> None:
        """Hook to tell the user about the solution (e.g. warn about relaxed sentences);
        ``stacklevel`` makes a warning point at the caller of the public method."""

    def project_with_candidates(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
        candidates: Sequence[Sequence[Span]],
    ) -> list[Projection]:
        """Project with extra candidate spans per sentence (e.g. a target-side NER model's),
        added to those of the configured extractor; their labels are ignored."""
        m = self._match(sources, targets, alignments, candidates, stacklevel=4)
        return self._projections(m)

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> Reported[Projection]:
        m = self._match(sources, targets, alignments, None, stacklevel=6)
        # the statistics without CBC's wall time: a report is part of a chunk's output, which
        # must not depend on timing (cached, compared across runners)
        stats = {k: v for k, v in m.solution.stats.to_dict().items() if k != "cbc_seconds"}
        return Reported(self._projections(m), {"solver": stats})

    def _projections(self, m: Matching) -> list[Projection]:
        problems = m.batch.problems
        inst, sol = m.instance, m.solution
        idx = np.flatnonzero(sol.chosen)  # grouped by entity, hence by sentence
        ent = inst.entity[idx]
        sent = problems.ent_sentence[ent]
        local = (ent - problems.ent_offsets[sent]).tolist()
        start, end = inst.start[idx].tolist(), inst.end[idx].tolist()
        score = inst.score[idx].tolist()
        labels = problems.ent_label
        ent_l = ent.tolist()
        n = len(problems)
        offs = np.searchsorted(sent, np.arange(n + 1)).tolist()
        n_source = np.diff(problems.ent_offsets).tolist()
        method = self.span_method
        out: list[Projection] = []
        for k, tgt in enumerate(problems.targets):
            spans = [
                ProjectedSpan(start[i], end[i], labels[ent_l[i]], local[i], score[i], method)
                for i in range(offs[k], offs[k + 1])
            ]
            out.append(Projection.build(tgt.words, spans, n_source[k], tgt.lang))
        return out
