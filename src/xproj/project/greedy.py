"""The greedy candidate-matching projector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xproj.project.matching import MatchingProjector
from xproj.project.solvers import GreedySolver

__all__ = ["GreedyProjector"]


@dataclass(kw_only=True)
class GreedyProjector(MatchingProjector):
    """Match entities to candidate spans greedily, highest score first.

    Candidates come from ``candidates`` (default: every n-gram of up to 10 target words with
    no sentence-final punctuation and at least one word linked to an entity), scores from
    ``scorer`` (default: ``2 * links / (len(entity) + len(candidate))``). Then, in each
    sentence, the highest-scoring (entity, candidate) pair is taken, every candidate
    overlapping it is discarded for all entities, an entity that holds ``n_proj`` candidates
    takes no more, and so on until no pair is left (see
    :class:`~xproj.project.solvers.GreedySolver` for tie-breaking). Greedy is fast but not
    always optimal; :class:`~xproj.project.ilp.ILPProjector` is.

    Parameters
    ----------
    candidates
        A :class:`~xproj.project.candidates.CandidateExtractor`.
    scorer
        A :class:`~xproj.project.scorers.Scorer`.
    n_proj
        The most target spans one entity is projected onto.
    min_score
        Pairs scoring below this are never matched (pairs scoring 0 never are).

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence
    >>> src = LabelledSentence.from_tags(["Mr", "Barroso", "visited", "Lisbon", "."],
    ...                                  ["O", "B-PER", "O", "B-LOC", "O"])
    >>> tgt = Sentence(("el", "señor", "Barroso", "visitó", "Lisboa", "."))
    >>> ali = Alignment(5, 6, ((0, 1), (1, 2), (2, 3), (3, 4), (4, 5)))
    >>> p = GreedyProjector().project([src], [tgt], [ali])[0]
    >>> p.tags
    ('O', 'O', 'B-PER', 'O', 'B-LOC', 'O')
    >>> p.projected[0]
    ProjectedSpan(start=2, end=3, label='PER', source=0, score=1.0, method='greedy')
    """

    span_method: ClassVar[str] = "greedy"

    def make_solver(self) -> GreedySolver:
        return GreedySolver(n_proj=self.n_proj)
