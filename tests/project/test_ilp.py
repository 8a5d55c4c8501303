"""ILPProjector: the issue's greedy-not-optimal case, exactness against CBC on projection
problems, ILP >= greedy, infeasible constraints, conformance."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import xproj
from xproj import Alignment, LabelledSentence, Sentence, Span
from xproj.errors import InputError, ParameterError
from xproj.project.candidates import AlignedMerges, CandidateBatch, ExternalCandidates, FloatArray
from xproj.project.greedy import GreedyProjector
from xproj.project.ilp import CountConstraint, ILPProjector
from xproj.project.scorers import Scorer
from xproj.project.solvers import GreedySolver, ILPSolver
from xproj.testing import check_projector, random_batch, synthetic_batch


@dataclass(kw_only=True)
class Fixed(Scorer):
    matrix: tuple[tuple[float, ...], ...]

    def _score(self, batch: CandidateBatch) -> FloatArray:
        return batch.join([np.array(self.matrix)] * len(batch))


def test_registered_under_ilp() -> None:
    assert type(xproj.projectors.get("ilp")) is ILPProjector
    assert xproj.projectors.name_of(ILPProjector) == "ilp"


def test_issue_case_greedy_030_ilp_040() -> None:
    src = LabelledSentence(("Ada", "Bob"), (Span(0, 1, "PER"), Span(1, 2, "LOC")))
    args = ([src], [Sentence(("x", "y"))], [Alignment(2, 2)], [[Span(0, 1, "X"), Span(1, 2, "X")]])
    kw = {"candidates": ExternalCandidates(), "scorer": Fixed(matrix=((0.25, 0.2), (0.2, 0.05)))}
    g = GreedyProjector(**kw)  # type: ignore[arg-type]
    assert g.match(*args).solution.total == pytest.approx(0.30)
    for ilp in (ILPProjector(**kw), ILPProjector(method="cbc", **kw)):  # type: ignore[arg-type]
        assert ilp.match(*args).solution.total == pytest.approx(0.40)
        out = ilp.project_with_candidates(*args)[0]
        assert out.tags == ("B-LOC", "B-PER")
        assert [(q.source, q.score, q.method) for q in out.projected] == [
            (1, 0.2, "ilp"),
            (0, 0.2, "ilp"),
        ]


@pytest.mark.parametrize("constraint", ["<=", "=", ">="])
def test_fast_path_equals_cbc_on_projection_problems(constraint: str) -> None:
    # The clique form: the issue's pairwise form gives the same optimum (test_solvers checks
    # both) but CBC needs ~20x longer on n-gram candidates.
    s, t, a = random_batch(100, seed=5, max_words=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # relaxed sentences warn; compared below
        fast = ILPProjector(constraint=constraint).match(s, t, a)
        cbc = ILPProjector(constraint=constraint, method="cbc").match(s, t, a)
    np.testing.assert_allclose(fast.solution.objective, cbc.solution.objective, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast.solution.relaxed, cbc.solution.relaxed)


def test_ilp_objective_never_below_greedy_on_the_same_problems() -> None:
    s, t, a = synthetic_batch(400, seed=2)
    m = GreedyProjector().match(s, t, a)
    greedy = GreedySolver().solve(m.instance)
    best = ILPSolver().solve(m.instance)
    assert np.all(best.objective >= greedy.objective - 1e-12)
    assert best.total > greedy.total  # on realistic data greedy does lose somewhere
    ilp = ILPProjector().match(s, t, a).solution
    np.testing.assert_array_equal(ilp.objective, best.objective)


def test_infeasible_constraint_relaxes_with_a_warning_or_raises() -> None:
    src = LabelledSentence(("a", "b"), (Span(0, 1, "PER"),))
    ok = LabelledSentence(("c", "d"), (Span(0, 1, "LOC"),))
    tgt = Sentence(("x", "y", "z"))
    ali = [Alignment(2, 3, ((0, 0),)), Alignment(2, 3, ((0, 0), (0, 2)))]
    p = ILPProjector(candidates=AlignedMerges(max_words=1), constraint="=", n_proj=2)
    with pytest.warns(
        UserWarning, match=r"could not be met in 1 of 2 sentences \(sentences 0\)"
    ) as w:
        out = p.project([src, ok], [tgt, tgt], ali)
    assert w[0].filename == __file__  # the warning points at the caller
    with pytest.warns(UserWarning) as w:
        stats = p.project_reported([src, ok], [tgt, tgt], ali).report["solver"]
    assert w[0].filename == __file__
    with pytest.warns(UserWarning) as w:
        p.match([src, ok], [tgt, tgt], ali)
    assert w[0].filename == __file__
    assert [len(o.projected) for o in out] == [1, 2]
    assert stats["relaxed"] == 1
    strict = ILPProjector(
        candidates=AlignedMerges(max_words=1), constraint="=", n_proj=2, on_infeasible="raise"
    )
    with pytest.raises(InputError, match=r"^sentence 0: .*'= 2'"):
        strict.project([src, ok], [tgt, tgt], ali)


def test_count_constraints_change_the_projection() -> None:
    src = LabelledSentence(("Merkel", "said"), (Span(0, 1, "PER"),))
    tgt = Sentence(("Merkel", "dijo", "que", "Merkel"))
    ali = [Alignment(2, 4, ((0, 0), (0, 3), (1, 1)))]
    assert len(ILPProjector().project([src], [tgt], ali)[0].projected) == 1
    assert len(ILPProjector(constraint=">=", n_proj=1).project([src], [tgt], ali)[0].projected) == 2
    assert len(ILPProjector(constraint="<", n_proj=3).project([src], [tgt], ali)[0].projected) == 2


def test_parameters_are_validated() -> None:
    with pytest.raises(ParameterError, match="'<' with n_proj=1 allows no projection"):
        ILPProjector(constraint="<")
    with pytest.raises(
        ParameterError, match=r"The 'constraint' parameter of ILPProjector must be one of '<='"
    ):
        ILPProjector(constraint="!=")
    with pytest.raises(ParameterError, match="'method' parameter of ILPProjector"):
        ILPProjector(method="gurobi")
    with pytest.raises(ParameterError, match="'time_limit' parameter of ILPProjector"):
        ILPProjector(time_limit=0.0)
    assert (
        ILPProjector(constraint=CountConstraint.EQ).make_solver().constraint is CountConstraint.EQ
    )


@pytest.mark.parametrize(
    "projector",
    [
        ILPProjector(),
        ILPProjector(constraint="=", n_proj=1),
        ILPProjector(constraint=">", n_proj=1, candidates=AlignedMerges()),
        ILPProjector(constraint="<", n_proj=3, min_score=0.2),
    ],
    ids=["default", "eq1", "gt1-merges", "lt3-min"],
)
def test_conformance(projector: ILPProjector) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # '=', '>' relax on some random sentences, by design
        check_projector(projector, n=200, seed=4)
