"""Greedy and exact solvers: the issue's greedy-not-optimal case, brute-force optima, the fast
path against CBC, ILP >= greedy, infeasible constraints and routing statistics."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xproj.errors import InputError, ParameterError
from xproj.project.solvers import (
    CountConstraint,
    GreedySolver,
    ILPSolver,
    MatchingInstance,
    Solution,
)

CONSTRAINTS = [c.value for c in CountConstraint]

# --- references --------------------------------------------------------------------------------


def pairs_of(inst: MatchingInstance, k: int) -> list[tuple[int, int, int, float]]:
    lo, hi = int(inst.ent_offsets[k]), int(inst.ent_offsets[k + 1])
    return [
        (int(e) - lo, int(s), int(t), float(c))
        for e, s, t, c in zip(inst.entity, inst.start, inst.end, inst.score)
        if lo <= e < hi
    ]


def brute_force(
    pairs: list[tuple[int, int, int, float]], constraint: str, n_proj: int
) -> tuple[float, int]:
    """(best objective, its shortfall) over every non-overlapping subset of ``pairs``: the
    smallest total shortfall below the lower bound first, then the highest score."""
    upper = {"<=": n_proj, "<": n_proj - 1, "=": n_proj, ">=": None, ">": None}[constraint]
    lower = {"<=": 0, "<": 0, "=": n_proj, ">=": n_proj, ">": n_proj + 1}[constraint]
    entities = {e for e, *_ in pairs}
    best: tuple[int, float] | None = None

    def visit(i: int, chosen: list[tuple[int, int, int, float]]) -> None:
        nonlocal best
        if i == len(pairs):
            count = {e: 0 for e in entities}
            for e, *_ in chosen:
                count[e] += 1
            short = sum(max(0, lower - c) for c in count.values())
            value = sum(c for *_, c in chosen)
            key = (short, -value)
            if best is None or key < (best[0], -best[1]):
                best = (short, value)
            return
        visit(i + 1, chosen)
        e, s, t, _ = pairs[i]
        if any(s < t2 and s2 < t for _, s2, t2, _ in chosen):
            return
        if upper is not None and sum(1 for p in chosen if p[0] == e) >= upper:
            return
        visit(i + 1, [*chosen, pairs[i]])

    visit(0, [])
    assert best is not None
    return best[1], best[0]


def greedy_reference(
    pairs: list[tuple[int, int, int, float]], n_proj: int
) -> list[tuple[int, int, int, float]]:
    """The documented greedy rule, one pair at a time: highest score; ties: lower entity,
    then leftmost, then shorter candidate."""
    alive = sorted(pairs, key=lambda p: (-p[3], p[0], p[1], p[2]))
    taken: list[tuple[int, int, int, float]] = []
    for p in alive:
        e, s, t, _ = p
        if any(s < t2 and s2 < t for _, s2, t2, _ in taken):
            continue
        if sum(1 for q in taken if q[0] == e) >= n_proj:
            continue
        taken.append(p)
    return sorted(taken)


def random_instance(rng: random.Random, n: int, *, max_words: int = 7) -> MatchingInstance:
    """``n`` small sentences: 0-4 entities, a random subset of short word ranges as
    candidates, scores with zeros and ties."""
    matrices: list[Any] = []
    cands: list[list[tuple[int, int]]] = []
    for _ in range(n):
        t = rng.randint(1, max_words)
        ranges = [(a, b) for a in range(t) for b in range(a + 1, min(t, a + 3) + 1)]
        c = rng.sample(ranges, rng.randint(0, min(len(ranges), 5)))
        ne = rng.randint(0, 3)
        mat = [
            [rng.choice((0.0, 0.0, round(rng.random(), 1), rng.random())) for _ in c]
            for _ in range(ne)
        ]
        matrices.append(np.array(mat).reshape(ne, len(c)))
        cands.append(c)
    return MatchingInstance.from_matrices(matrices, cands)


# --- the issue's example -------------------------------------------------------------------------


def issue_instance() -> MatchingInstance:
    return MatchingInstance.from_matrices(
        [np.array([[0.25, 0.2], [0.2, 0.05]])], [[(0, 1), (1, 2)]]
    )


def test_greedy_is_not_optimal_on_the_issue_case() -> None:
    inst = issue_instance()
    greedy = GreedySolver().solve(inst)
    assert greedy.assignment(inst, 0) == [(0, 0, 1, 0.25), (1, 1, 2, 0.05)]
    assert greedy.total == pytest.approx(0.30)
    for solver in (ILPSolver(), ILPSolver(method="cbc"), ILPSolver(max_dp_states=1)):
        best = solver.solve(inst)
        assert best.assignment(inst, 0) == [(0, 1, 2, 0.2), (1, 0, 1, 0.2)]
        assert best.total == pytest.approx(0.40)


# --- exactness -----------------------------------------------------------------------------------


# Every constraint with n_proj 1 and 2, except '< 1' (it allows nothing and is rejected).
VALID = [(c, n) for c in CONSTRAINTS for n in (1, 2) if (c, n) != ("<", 1)]


@pytest.mark.parametrize(("constraint", "n_proj"), VALID)
def test_exact_solver_reaches_the_brute_force_optimum(constraint: str, n_proj: int) -> None:
    rng = random.Random(f"{constraint}{n_proj}")
    inst = random_instance(rng, 60)
    sol = ILPSolver(constraint=constraint, n_proj=n_proj).solve(inst)
    inst.check(sol.chosen, None if constraint in (">=", ">") else n_proj)
    for k in range(inst.n_sentences):
        value, short = brute_force(pairs_of(inst, k), constraint, n_proj)
        assert sol.objective[k] == pytest.approx(value, abs=1e-12), k
        assert bool(sol.relaxed[k]) == (short > 0), k


@pytest.mark.parametrize("constraint", CONSTRAINTS)
@pytest.mark.parametrize("formulation", ["clique", "pairwise"])
def test_fast_path_objective_equals_cbc_objective(constraint: str, formulation: str) -> None:
    n_proj = 2 if constraint == "<" else 1
    inst = random_instance(random.Random(constraint + formulation), 150, max_words=9)
    fast = ILPSolver(constraint=constraint, n_proj=n_proj).solve(inst)
    cbc = ILPSolver(
        constraint=constraint, n_proj=n_proj, method="cbc", formulation=formulation
    ).solve(inst)
    assert cbc.stats.cbc_calls == 1  # the whole batch in one CBC run
    np.testing.assert_allclose(fast.objective, cbc.objective, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast.relaxed, cbc.relaxed)
    # Hard blocks sent to CBC by the fast path (max_dp_states=1) agree too.
    forced = ILPSolver(constraint=constraint, n_proj=n_proj, max_dp_states=1).solve(inst)
    np.testing.assert_allclose(forced.objective, cbc.objective, rtol=0, atol=1e-9)


@st.composite
def instances(draw: st.DrawFn) -> MatchingInstance:
    matrices: list[Any] = []
    cands: list[list[tuple[int, int]]] = []
    for _ in range(draw(st.integers(1, 4))):
        t = draw(st.integers(1, 8))
        ranges = [(a, b) for a in range(t) for b in range(a + 1, min(t, a + 4) + 1)]
        c = draw(st.lists(st.sampled_from(ranges), max_size=6, unique=True))
        ne = draw(st.integers(0, 4))
        score = st.one_of(st.just(0.0), st.sampled_from((0.1, 0.5, 1.0)), st.floats(0, 2))
        mat = [[draw(score) for _ in c] for _ in range(ne)]
        matrices.append(np.array(mat, dtype=np.float64).reshape(ne, len(c)))
        cands.append(c)
    return MatchingInstance.from_matrices(matrices, cands)


@settings(max_examples=150, deadline=None)
@given(instances(), st.sampled_from(CONSTRAINTS), st.integers(1, 2))
def test_ilp_objective_never_below_greedy(
    inst: MatchingInstance, constraint: str, n_proj: int
) -> None:
    greedy = GreedySolver(n_proj=n_proj).solve(inst)
    inst.check(greedy.chosen, n_proj)
    best = ILPSolver(n_proj=n_proj).solve(inst)
    inst.check(best.chosen, n_proj)
    # Greedy's choice is feasible for '<= n_proj', so the optimum is at least as good.
    assert np.all(best.objective >= greedy.objective - 1e-9)
    # Under every constraint the fast path is exact (brute force on these small instances).
    if constraint == "<" and n_proj == 1:
        return
    sol = ILPSolver(constraint=constraint, n_proj=n_proj).solve(inst)
    for k in range(inst.n_sentences):
        value, short = brute_force(pairs_of(inst, k), constraint, n_proj)
        assert sol.objective[k] == pytest.approx(value, abs=1e-9)
        assert bool(sol.relaxed[k]) == (short > 0)


@settings(max_examples=25, deadline=None)
@given(instances(), st.sampled_from(CONSTRAINTS))
def test_cbc_agrees_with_fast_path_property(inst: MatchingInstance, constraint: str) -> None:
    fast = ILPSolver(constraint=constraint, n_proj=2).solve(inst)
    cbc = ILPSolver(constraint=constraint, n_proj=2, method="cbc").solve(inst)
    # CBC treats objective coefficients below its tolerance (about 1e-7) as zero and may leave
    # such a candidate out: a drawn score of 6e-8 made the objectives differ by exactly that
    np.testing.assert_allclose(fast.objective, cbc.objective, rtol=0, atol=1e-6)


# --- greedy --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_proj", [1, 2, 3])
def test_greedy_follows_the_documented_rule(n_proj: int) -> None:
    inst = random_instance(random.Random(n_proj), 300, max_words=9)
    sol = GreedySolver(n_proj=n_proj).solve(inst)
    for k in range(inst.n_sentences):
        assert sorted(sol.assignment(inst, k)) == greedy_reference(pairs_of(inst, k), n_proj)


def test_greedy_tie_breaking_lower_entity_then_leftmost_then_shorter() -> None:
    cands = [[(2, 3), (0, 2), (0, 1)]]
    inst = MatchingInstance.from_matrices([np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]])], cands)
    assert GreedySolver().solve(inst).assignment(inst, 0) == [(1, 0, 1, 0.5)]
    inst = MatchingInstance.from_matrices([np.array([[0.5, 0.0, 0.0], [0.5, 0.0, 0.0]])], cands)
    assert GreedySolver().solve(inst).assignment(inst, 0) == [(0, 2, 3, 0.5)]


def test_greedy_caps_each_entity_at_n_proj() -> None:
    inst = MatchingInstance.from_matrices([np.array([[0.9, 0.8, 0.7]])], [[(0, 1), (1, 2), (2, 3)]])
    assert len(GreedySolver(n_proj=1).solve(inst).assignment(inst, 0)) == 1
    assert len(GreedySolver(n_proj=2).solve(inst).assignment(inst, 0)) == 2
    assert GreedySolver(n_proj=5).solve(inst).total == pytest.approx(2.4)


# --- infeasible constraints -------------------------------------------------------------------


def test_infeasible_equality_is_relaxed_counted_and_consistent_with_cbc() -> None:
    # Entity 0 has one usable candidate; "= 2" cannot hold. Sentence 1 is feasible.
    inst = MatchingInstance.from_matrices(
        [np.array([[0.9, 0.0], [0.0, 0.4]]), np.array([[0.3, 0.6]])],
        [[(0, 1), (1, 2)], [(0, 1), (2, 3)]],
    )
    for solver in (
        ILPSolver(constraint="=", n_proj=2),
        ILPSolver(constraint="=", n_proj=2, method="cbc"),
    ):
        sol = solver.solve(inst)
        assert sol.relaxed.tolist() == [True, False]
        assert sol.stats.relaxed == 1
        assert sol.objective.tolist() == pytest.approx([1.3, 0.9])


def test_infeasible_minimises_the_shortfall_before_the_score() -> None:
    # Under ">= 1", giving entity 1 its only candidate (0.1) beats entity 0's 0.9 there.
    inst = MatchingInstance.from_matrices([np.array([[0.9], [0.1]])], [[(0, 1)]])
    sol = ILPSolver(constraint=">=").solve(inst)
    assert sol.relaxed.tolist() == [True]  # one of the two must miss out
    assert sol.assignment(inst, 0) == [(0, 0, 1, 0.9)]
    inst = MatchingInstance.from_matrices([np.array([[0.9, 0.0], [0.1, 0.05]])], [[(0, 2), (1, 2)]])
    sol = ILPSolver(constraint=">=").solve(inst)
    assert sol.relaxed.tolist() == [True]
    inst = MatchingInstance.from_matrices([np.array([[0.9, 0.0], [0.1, 0.05]])], [[(0, 1), (1, 2)]])
    sol = ILPSolver(constraint=">=").solve(inst)  # feasible: 0 -> [0, 1), 1 -> [1, 2)
    assert sol.relaxed.tolist() == [False]
    assert sol.assignment(inst, 0) == [(0, 0, 1, 0.9), (1, 1, 2, 0.05)]


def test_infeasible_raise_names_the_sentence() -> None:
    inst = MatchingInstance.from_matrices(
        [np.array([[0.5]]), np.array([[0.9, 0.0]])], [[(0, 1)], [(0, 1), (1, 2)]]
    )
    ILPSolver(constraint="=", n_proj=1, on_infeasible="raise").solve(inst)  # feasible: fine
    with pytest.raises(InputError, match=r"^sentence 0: .*'= 2'.*on_infeasible='relax'"):
        ILPSolver(constraint="=", n_proj=2, on_infeasible="raise").solve(inst)
    with pytest.raises(InputError, match=r"^sentence 1: "):
        ILPSolver(constraint=">", n_proj=1, on_infeasible="raise", method="cbc").solve(
            MatchingInstance.from_matrices(
                [np.array([[0.5, 0.5]]), np.array([[0.9, 0.0]])], [[(0, 1), (1, 2)]] * 2
            )
        )


# --- routing, statistics, batching -----------------------------------------------------------


def test_routes_are_counted_and_cbc_runs_once_per_batch() -> None:
    inst = MatchingInstance.from_matrices(
        [
            np.array([[0.9, 0.1], [0.2, 0.8]]),  # evident: bests disjoint
            np.array([[0.25, 0.2], [0.2, 0.05]]),  # bests clash: needs search
            np.array([[0.25, 0.2], [0.2, 0.05]]),
        ],
        [[(0, 1), (1, 2)]] * 3,
    )
    sol = ILPSolver().solve(inst)
    assert (sol.stats.components, sol.stats.evident, sol.stats.dp, sol.stats.cbc) == (3, 1, 2, 0)
    sol = ILPSolver(max_dp_states=1).solve(inst)
    assert (sol.stats.evident, sol.stats.dp, sol.stats.cbc, sol.stats.cbc_calls) == (1, 0, 2, 1)
    assert sol.objective.tolist() == pytest.approx([1.7, 0.4, 0.4])


def test_dominated_pairs_are_dropped_before_search() -> None:
    # [0, 2) scores no more than its sub-span [0, 1) for entity 0: dropped.
    inst = MatchingInstance.from_matrices([np.array([[0.5, 0.5, 0.2]])], [[(0, 1), (0, 2), (1, 2)]])
    sol = ILPSolver().solve(inst)
    assert (sol.stats.pairs, sol.stats.pairs_kept) == (3, 2)
    assert sol.assignment(inst, 0) == [(0, 0, 1, 0.5)]


def test_each_sentence_is_solved_independently_of_the_batch() -> None:
    inst = random_instance(random.Random(7), 120, max_words=9)
    whole = ILPSolver(constraint="=", n_proj=1).solve(inst)
    for k in random.Random(8).sample(range(inst.n_sentences), 30):
        alone = one_sentence(inst, k)
        sol = ILPSolver(constraint="=", n_proj=1).solve(alone)
        assert sol.assignment(alone, 0) == whole.assignment(inst, k)


def one_sentence(inst: MatchingInstance, k: int) -> MatchingInstance:
    lo, hi = int(inst.ent_offsets[k]), int(inst.ent_offsets[k + 1])
    keep = (inst.entity >= lo) & (inst.entity < hi)
    return MatchingInstance(
        np.array([0, hi - lo]),
        inst.entity[keep] - lo,
        inst.start[keep],
        inst.end[keep],
        inst.score[keep],
    )


def test_empty_instances() -> None:
    inst = MatchingInstance.from_matrices([np.zeros((2, 0)), np.zeros((0, 3))], [[], [(0, 1)] * 0])
    for solver in (GreedySolver(), ILPSolver(), ILPSolver(method="cbc")):
        sol: Solution = solver.solve(inst)
        assert sol.objective.tolist() == [0.0, 0.0]
        assert sol.chosen.size == 0


# --- parameters and inputs ---------------------------------------------------------------------


def test_parameter_errors_are_clear() -> None:
    with pytest.raises(ParameterError, match="'<' with n_proj=1 allows no projection"):
        ILPSolver(constraint="<", n_proj=1)
    with pytest.raises(ParameterError, match=r"'constraint' parameter of ILPSolver must be one of"):
        ILPSolver(constraint="==")
    with pytest.raises(ParameterError, match=r"'n_proj' parameter of GreedySolver must be an int"):
        GreedySolver(n_proj=0)
    assert ILPSolver(constraint=CountConstraint.GE).constraint is CountConstraint.GE


def test_instance_input_errors() -> None:
    with pytest.raises(InputError, match="sentence 0: candidates must be distinct"):
        MatchingInstance.from_matrices([np.ones((1, 2))], [[(0, 1), (0, 1)]])
    with pytest.raises(InputError, match="sentence 0: score -1.0 is not a finite number >= 0"):
        MatchingInstance.from_matrices([np.array([[-1.0]])], [[(0, 1)]])
    with pytest.raises(InputError, match="only pairs with a positive score"):
        MatchingInstance(np.array([0, 1]), np.array([0]), np.array([0]), np.array([1]), np.zeros(1))


def test_instance_check_catches_overlaps_and_caps() -> None:
    inst = MatchingInstance.from_matrices([np.array([[0.5, 0.4, 0.3]])], [[(0, 2), (2, 3), (3, 4)]])
    inst.check(np.array([True, True, False]), None)
    with pytest.raises(AssertionError, match="n_proj=1"):
        inst.check(np.array([True, True, False]), 1)
