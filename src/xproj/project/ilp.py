"""The exact (integer linear programming) candidate-matching projector."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from xproj.project.matching import MatchingProjector
from xproj.project.solvers import CountConstraint, ILPSolver, Solution

__all__ = ["CountConstraint", "ILPProjector"]


@dataclass(kw_only=True)
class ILPProjector(MatchingProjector):
    """Match entities to candidate spans optimally: the highest total score without overlaps.

    Solves, per sentence, the integer program of the core issue: binary ``x[s, t]`` for entity
    ``s`` and candidate ``t``, maximise ``sum c[s, t] x[s, t]`` subject to
    ``sum_t x[s, t] <constraint> n_proj`` and no two chosen candidates overlapping. Pairs
    scoring 0 are not variables, and the count constraint binds only entities with a
    positive-score candidate (the others stay unprojected). The optimum is exact; CBC (PuLP's
    bundled solver) runs only for the blocks no exact shortcut solves, all of a batch's in one
    run (see :class:`~xproj.project.solvers.ILPSolver`).

    Parameters
    ----------
    candidates, scorer, n_proj, min_score
        As for :class:`~xproj.project.greedy.GreedyProjector`.
    constraint
        ``"<="`` (default), ``"<"``, ``"="``, ``">="`` or ``">"``: how each entity's number of
        projections relates to ``n_proj``.
    method
        ``"auto"`` (exact shortcuts, CBC for the rest) or ``"cbc"`` (all in CBC; slow, for checks).
    formulation
        CBC's no-overlap rows: ``"clique"`` (one per word) or ``"pairwise"`` (the issue's form).
    max_dp_states
        Components with more count states than this go to CBC instead of the exact DP.
    on_infeasible
        When the constraint cannot be met (``"= 2"`` with one usable candidate):
        ``"relax"`` (default) takes the solution closest to it, then best in score, flags the
        sentence in :attr:`Matching.solution.relaxed <xproj.project.solvers.Solution>`, counts
        it in the solver statistics of :meth:`project_reported`'s report and warns; ``"raise"``
        raises :class:`~xproj.errors.InputError` naming the sentence.
    time_limit
        Seconds per CBC run, or ``None``.

    Examples
    --------
    >>> from xproj import Alignment, LabelledSentence, Sentence
    >>> src = LabelledSentence.from_tags(["Mr", "Barroso", "visited", "Lisbon", "."],
    ...                                  ["O", "B-PER", "O", "B-LOC", "O"])
    >>> tgt = Sentence(("el", "señor", "Barroso", "visitó", "Lisboa", "."))
    >>> ali = Alignment(5, 6, ((0, 1), (1, 2), (2, 3), (3, 4), (4, 5)))
    >>> ILPProjector().project([src], [tgt], [ali])[0].tags
    ('O', 'O', 'B-PER', 'O', 'B-LOC', 'O')
    >>> try:
    ...     ILPProjector(constraint="<", n_proj=1)
    ... except Exception as e:
    ...     print(type(e).__name__)
    ParameterError
    """

    span_method: ClassVar[str] = "ilp"
    constraint: CountConstraint | str = CountConstraint.LE
    method: str = "auto"
    formulation: str = "clique"
    max_dp_states: int = 4096
    on_infeasible: str = "relax"
    time_limit: float | None = None
    # the solver's parameters are validated as the solver validates them
    _constraints = {**MatchingProjector._constraints, **ILPSolver._constraints}

    def validate_params(self) -> None:
        super().validate_params()
        self.make_solver()  # cross-parameter checks ('<' needs n_proj >= 2)

    def make_solver(self) -> ILPSolver:
        return ILPSolver(
            n_proj=self.n_proj,
            constraint=self.constraint,
            method=self.method,
            formulation=self.formulation,
            max_dp_states=self.max_dp_states,
            on_infeasible=self.on_infeasible,
            time_limit=self.time_limit,
        )

    def _report(self, solution: Solution, *, stacklevel: int) -> None:
        relaxed = np.flatnonzero(solution.relaxed)
        if len(relaxed):
            shown = ", ".join(str(k) for k in relaxed[:10].tolist())
            more = f" and {len(relaxed) - 10} more" if len(relaxed) > 10 else ""
            warnings.warn(
                f"ILPProjector: the constraint '{CountConstraint(self.constraint).value} "
                f"{self.n_proj}' could not be met in {len(relaxed)} of {len(solution.relaxed)} "
                f"sentences (sentences {shown}{more}); they got the closest feasible projection. "
                "Pass on_infeasible='raise' to make this an error",
                stacklevel=stacklevel,
            )
