"""Solvers that choose which candidate each source entity is projected onto.

A :class:`MatchingInstance` holds the positive-score (entity, candidate) pairs of a batch of
sentences, flat. A solver picks a set of pairs such that

- no two chosen candidates overlap (which includes: no candidate goes to two entities), and
- each entity gets a number of candidates allowed by the count constraint,

and returns a :class:`Solution` (the chosen pairs, each sentence's objective, i.e. the sum of
its chosen scores, and statistics). Pairs scoring 0 are not part of an instance: a zero score
carries no evidence, so it is never matched, and an entity without any positive-score
candidate is simply left unprojected (the issue's "rows whose scores are all zero removed
first"); the count constraint applies to the other entities.

:class:`GreedySolver`
    Repeatedly takes the highest-scoring remaining pair, then discards every pair whose
    candidate overlaps the chosen one (for all entities) and every pair of an entity that has
    reached ``n_proj`` candidates.
:class:`ILPSolver`
    The exact optimum of the integer program (binary ``x[s, t]``, maximise
    ``sum c[s, t] x[s, t]``, count constraints ``sum_t x[s, t] (<=, <, =, >=, >) n_proj``, no
    overlaps). CBC (PuLP's bundled solver) is only started for the blocks that need it; see
    :class:`ILPSolver` for the exact shortcuts that solve the others.

Examples
--------
The issue's case where greedy is not optimal: entities s1, s2 and disjoint candidates t1, t2.

>>> inst = MatchingInstance.from_matrices(
...     [np.array([[0.25, 0.2], [0.2, 0.05]])], [[(0, 1), (1, 2)]])
>>> round(GreedySolver().solve(inst).total, 6), round(ILPSolver().solve(inst).total, 6)
(0.3, 0.4)
>>> ILPSolver().solve(inst).assignment(inst, 0)
[(0, 1, 2, 0.2), (1, 0, 1, 0.2)]
"""

from __future__ import annotations

import time
import warnings
from abc import ABC, abstractmethod
from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from xproj.errors import InputError, ParameterError
from xproj.params import Component, Interval, NoneOr, Options
from xproj.project.instances import CountConstraint, MatchingInstance, Solution, SolveStats
from xproj.project.problems import BoolArray, FloatArray, IntArray

__all__ = [
    "CountConstraint",
    "GreedySolver",
    "ILPSolver",
    "MatchingInstance",
    "Solution",
    "SolveStats",
    "Solver",
]


def _n_proj_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass(kw_only=True)
class Solver(Component, ABC):
    """Chooses pairs of a :class:`MatchingInstance`; batch-first.

    Parameters
    ----------
    n_proj
        The count bound of each entity (how it applies depends on the solver).
    """

    n_proj: int = 1

    @abstractmethod
    def solve(self, instance: MatchingInstance) -> Solution:
        """Choose pairs for every sentence of ``instance``."""


def _segment_starts(keys: IntArray) -> IntArray:
    """Indices where a run of equal ``keys`` starts (``keys`` grouped)."""
    out: IntArray = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return out


def _first_max(score: FloatArray, keys: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """For each run of equal ``keys``: the first index holding the run's maximum score.

    Returns ``(run starts, argmax indices, run of each element)``.

    >>> _first_max(np.array([0.1, 0.3, 0.3, 0.2, 0.5]), np.array([4, 4, 4, 7, 7]))
    (array([0, 3]), array([1, 4]), array([0, 0, 0, 1, 1]))
    """
    new = np.empty(len(keys), dtype=np.bool_)
    new[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    seg = np.cumsum(new) - 1
    seg_max = np.maximum.reduceat(score, starts)
    idx = np.arange(len(score), dtype=np.int64)
    first = np.minimum.reduceat(np.where(score == seg_max[seg], idx, len(score)), starts)
    return starts, first, seg


@dataclass(kw_only=True)
class GreedySolver(Solver):
    """Highest score first; overlapping candidates and full entities drop out.

    Repeatedly takes the highest-scoring remaining (entity, candidate) pair of each sentence,
    discards every pair whose candidate overlaps the chosen candidate (for every entity,
    including the chosen candidate itself) and, once an entity holds ``n_proj`` candidates,
    every other pair of that entity. Ties are broken deterministically: the lower entity index
    (source order), then the leftmost candidate, then the shorter one.

    All sentences advance together, one pick per sentence per round, in numpy.

    Parameters
    ----------
    n_proj
        The most candidates an entity is projected onto.

    Examples
    --------
    Both entities score 0.9 on ``[0, 2)``; the tie goes to entity 0, which leaves entity 1
    without a candidate:

    >>> inst = MatchingInstance.from_matrices([[[0.9, 0.8], [0.9, 0.0]]], [[(0, 2), (2, 3)]])
    >>> GreedySolver().solve(inst).assignment(inst, 0)
    [(0, 0, 2, 0.9)]
    >>> ILPSolver().solve(inst).assignment(inst, 0)
    [(0, 2, 3, 0.8), (1, 0, 2, 0.9)]
    """

    _constraints = {"n_proj": Interval(int, 1, None)}

    def solve(self, instance: MatchingInstance) -> Solution:
        n = instance.n_sentences
        chosen = np.zeros(instance.n_pairs, dtype=np.bool_)
        count = np.zeros(int(instance.ent_offsets[-1]), dtype=np.int64)
        # A pair whose candidate, one word shorter on the right, scores at least as much for
        # the same entity is never picked: that shorter pair ranks above it and is alive
        # whenever it is. Dropping such pairs first leaves the picks unchanged.
        idx = np.flatnonzero(~_right_dominated(instance)).astype(np.int64)
        sent = instance.pair_sentence()[idx]
        ent, start = instance.entity[idx], instance.start[idx]
        end, score = instance.end[idx], instance.score[idx]
        # One pick per sentence per round: the first pair (in entity, start, end order) holding
        # the sentence's highest remaining score; then drop what the picks rule out.
        while len(idx):
            _, pick, seg = _first_max(score, sent)
            chosen[idx[pick]] = True
            count[ent[pick]] += 1
            cs, ce = start[pick][seg], end[pick][seg]
            keep = ((end <= cs) | (start >= ce)) & (count[ent] < self.n_proj)
            idx, sent, ent = idx[keep], sent[keep], ent[keep]
            start, end, score = start[keep], end[keep], score[keep]
        stats = SolveStats(sentences=n, pairs=instance.n_pairs, pairs_kept=len(idx))
        return Solution(chosen, instance.objective(chosen), np.zeros(n, dtype=np.bool_), stats)


class _Bounds:
    """The count constraint as DP state parameters: counts are tracked up to ``cap``."""

    def __init__(self, constraint: CountConstraint, n_proj: int) -> None:
        c = CountConstraint(constraint)
        self.cap = {"<=": n_proj, "<": n_proj - 1, "=": n_proj, ">=": n_proj, ">": n_proj + 1}[
            c.value
        ]
        # Lower bound on each entity's count (0: none); saturate: counts above cap allowed.
        self.lower = self.cap if c.value in ("=", ">=", ">") else 0
        self.saturate = c.value in (">=", ">")
        self.upper: int | None = None if self.saturate else self.cap


def _dp_component(
    ent: list[int],
    start: list[int],
    end: list[int],
    score: list[float],
    m: int,
    bounds: _Bounds,
) -> tuple[list[int], int]:
    """Exact optimum of one component by dynamic programming over candidate end positions.

    State: each of the ``m`` entities' candidate count, capped at ``bounds.cap`` (mixed-radix
    integer). ``layer[i][state]`` is the best score using pairs that end at or before the
    ``i``-th distinct end position. Among feasible final states the best score wins; if none
    is feasible, the smallest total shortfall below the lower bounds, then the best score.

    Returns the chosen pair positions and the total shortfall.
    """
    cap, saturate, lower = bounds.cap, bounds.saturate, bounds.lower
    base = cap + 1
    radix = [base**i for i in range(m)]
    order = sorted(range(len(ent)), key=lambda i: (end[i], start[i], ent[i]))
    init: dict[int, float] = {0: 0.0}
    layer_end: list[int] = []
    layers: list[dict[int, float]] = []
    backs: list[dict[int, tuple[int, int, int]]] = []
    for i in order:
        b = end[i]
        if not layer_end or layer_end[-1] != b:
            layers.append(dict(layers[-1] if layers else init))
            backs.append({})
            layer_end.append(b)
        cur, back = layers[-1], backs[-1]
        j = bisect_right(layer_end, start[i]) - 1
        prev = layers[j] if j >= 0 else init
        r, c = radix[ent[i]], score[i]
        for state, val in prev.items():
            if (state // r) % base < cap:
                ns = state + r
            elif saturate:
                ns = state
            else:
                continue
            nv = val + c
            old = cur.get(ns)
            if old is None or nv > old:
                cur[ns] = nv
                back[ns] = (j, state, i)
    final = layers[-1] if layers else init
    best_state, best_short, best_val = 0, -1, 0.0
    for state in sorted(final):
        short = 0
        if lower:
            short = sum(max(0, lower - (state // r) % base) for r in radix)
        val = final[state]
        if best_short < 0 or short < best_short or (short == best_short and val > best_val):
            best_state, best_short, best_val = state, short, val
    chosen: list[int] = []
    li, s = len(layers) - 1, best_state
    while li >= 0:
        bk = backs[li].get(s)
        if bk is None:
            li -= 1
            continue
        li, s, i = bk
        chosen.append(i)
    return chosen, best_short


def _right_dominated(inst: MatchingInstance) -> BoolArray:
    """Pairs whose candidate ``[a, b)`` has ``[a, b - 1)`` for the same entity, scoring at
    least as much, right before it (pairs are sorted by entity, start, end): no search."""
    e, s, t, c = inst.entity, inst.start, inst.end, inst.score
    out = np.zeros(len(e), dtype=np.bool_)
    out[1:] = (e[1:] == e[:-1]) & (s[1:] == s[:-1]) & (t[1:] == t[:-1] + 1) & (c[:-1] >= c[1:])
    return out


def _dominated(inst: MatchingInstance) -> BoolArray:
    """Pairs with a candidate one word shorter (at either edge), for the same entity, scoring
    at least as much. Replacing such a pair by that sub-span keeps every constraint (same
    count, overlaps only what the longer span overlapped) and does not lower the objective,
    so some optimum uses no dominated pair: dropping them is exact."""
    m = int(inst.end.max()) + 2
    key = (inst.entity * m + inst.start) * m + inst.end
    out = np.zeros(len(key), dtype=np.bool_)
    for d_start, d_end in ((1, 0), (0, -1)):
        ok = inst.end - inst.start > 1
        probe = (inst.entity * m + inst.start + d_start) * m + inst.end + d_end
        pos = np.minimum(np.searchsorted(key, probe), len(key) - 1)
        out |= ok & (key[pos] == probe) & (inst.score[pos] >= inst.score)
    return out


@dataclass(kw_only=True)
class ILPSolver(Solver):
    """The exact optimum of the matching integer program, with CBC only where it is needed.

    The program: binary ``x[s, t]`` for each positive-score pair; maximise
    ``sum c[s, t] x[s, t]``; ``sum_t x[s, t] <constraint> n_proj`` for each entity; chosen
    candidates do not overlap (issue form: for each overlapping candidate pair ``t1 != t2``,
    ``sum_s x[s, t1] + x[s, t2] <= 1``, and ``sum_s x[s, t] <= 1`` for each candidate with no
    overlapping partner).

    With ``method="auto"`` the batch is solved exactly without CBC wherever possible:

    1. *Dominated pairs are dropped*: a pair whose candidate, one word shorter at either edge,
       scores at least as much for the same entity (swapping to the shorter span keeps every
       constraint, so an optimum without the longer one exists).
    2. *Components*: entities are linked when their candidates overlap (chains of
       overlapping candidates included); different components share no constraint, so each
       is solved alone and the optima add up.
    3. *Evident components*: under ``<= 1``, ``< 2`` or ``= 1``, if the best candidate of each
       entity of a component (ties: leftmost, then shortest) overlaps no other entity's best,
       choosing them is optimal: it reaches the bound where entities do not compete.
    4. *Dynamic programming*: other components with at most ``max_dp_states`` count states
       (``(cap + 1) ** n_entities``) are solved exactly by a DP over candidate end positions.
    5. *CBC*: the remaining components go into one PuLP model, solved by one CBC run.

    Each component's answer depends only on that component, so a sentence's projection does
    not depend on the rest of the batch (among equally good solutions CBC's choice might;
    the objective never does). ``method="cbc"`` skips steps 1-4 and solves the whole batch as
    one CBC model, to check the shortcuts against.

    Infeasible constraints (``= 2`` where an entity has one usable candidate): with
    ``on_infeasible="relax"`` the affected component gets the solution with the smallest
    total shortfall below the required counts and, among those, the best score (in CBC:
    slack variables penalised above any score); the sentence is flagged in
    :attr:`Solution.relaxed` and counted in the stats. ``"raise"`` raises
    :class:`~xproj.errors.InputError` naming the sentence.

    Parameters
    ----------
    n_proj
        The bound of the count constraint.
    constraint
        ``"<="`` (default), ``"<"``, ``"="``, ``">="`` or ``">"`` (:class:`CountConstraint`).
    method
        ``"auto"`` (exact shortcuts, CBC for hard blocks) or ``"cbc"`` (everything in CBC).
    formulation
        How the CBC model states "no overlap": ``"clique"`` (for each word, the candidates
        covering it sum to at most 1: the same integer solutions, fewer and tighter rows) or
        ``"pairwise"`` (the issue's reduced form above).
    max_dp_states
        Largest DP state space per component before it goes to CBC.
    on_infeasible
        ``"relax"`` or ``"raise"``, see above.
    time_limit
        Seconds CBC may take per run; ``None`` for no limit. A run stopped by the limit may
        return a non-optimal solution; :attr:`SolveStats.cbc_calls` counts runs.

    Examples
    --------
    >>> inst = MatchingInstance.from_matrices([[[0.9, 0.5]]], [[(0, 1), (2, 3)]])
    >>> ILPSolver(n_proj=2, constraint="=").solve(inst).assignment(inst, 0)
    [(0, 0, 1, 0.9), (0, 2, 3, 0.5)]
    >>> sol = ILPSolver(n_proj=3, constraint="=").solve(inst)
    >>> sol.relaxed.tolist(), sol.stats.relaxed
    ([True], 1)
    """

    constraint: CountConstraint | str = CountConstraint.LE
    method: str = "auto"
    formulation: str = "clique"
    max_dp_states: int = 4096
    on_infeasible: str = "relax"
    time_limit: float | None = None
    _constraints = {
        "n_proj": Interval(int, 1, None),
        "constraint": Options.of(CountConstraint),
        "method": Options(("auto", "cbc")),
        "formulation": Options(("clique", "pairwise")),
        "max_dp_states": Interval(int, 1, None),
        "on_infeasible": Options(("relax", "raise")),
        "time_limit": NoneOr(Interval(float, 0, None, closed="neither")),
    }

    def validate_params(self) -> None:
        super().validate_params()
        if CountConstraint(self.constraint) is CountConstraint.LT and self.n_proj < 2:
            raise ParameterError(
                f"The constraint '<' with n_proj={self.n_proj} allows no projection at all; "
                "use n_proj >= 2 (or '<=' with n_proj=1)"
            )

    def solve(self, instance: MatchingInstance) -> Solution:
        bounds = _Bounds(CountConstraint(self.constraint), self.n_proj)
        n = instance.n_sentences
        stats = SolveStats(sentences=n, pairs=instance.n_pairs)
        chosen = np.zeros(instance.n_pairs, dtype=np.bool_)
        relaxed = np.zeros(n, dtype=np.bool_)
        if instance.n_pairs == 0:
            return Solution(chosen, instance.objective(chosen), relaxed, stats)
        if self.method == "cbc":
            stats.pairs_kept = instance.n_pairs
            block = instance.pair_sentence()
            stats.components = len(np.unique(block))
            stats.cbc = stats.components
            all_pairs = np.arange(instance.n_pairs, dtype=np.int64)
            self._cbc(instance, all_pairs, block, bounds, chosen, relaxed, stats)
        else:
            self._auto(instance, bounds, chosen, relaxed, stats)
        stats.relaxed = int(relaxed.sum())
        if self.on_infeasible == "raise" and stats.relaxed:
            k = int(np.flatnonzero(relaxed)[0])
            raise InputError(
                f"no projection gives every entity with a positive-score candidate "
                f"'{CountConstraint(self.constraint).value} {self.n_proj}' disjoint "
                "candidates; loosen the constraint (e.g. '<=') or use on_infeasible='relax'",
                sentence=k,
            )
        return Solution(chosen, instance.objective(chosen), relaxed, stats)

    def _auto(
        self,
        inst: MatchingInstance,
        bounds: _Bounds,
        chosen: BoolArray,
        relaxed: BoolArray,
        stats: SolveStats,
    ) -> None:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        # The cheap right-edge test first, then the general one on what is left.
        kept = np.flatnonzero(~_right_dominated(inst)).astype(np.int64)
        if len(kept):
            sub = MatchingInstance(
                inst.ent_offsets,
                inst.entity[kept],
                inst.start[kept],
                inst.end[kept],
                inst.score[kept],
            )
            kept = kept[~_dominated(sub)]
        stats.pairs_kept = len(kept)
        ent, start, end = inst.entity[kept], inst.start[kept], inst.end[kept]
        sent = inst.pair_sentence()[kept]
        # Clusters of chained overlapping candidates, by a sweep in (sentence, start) order.
        m = int(end.max()) + 1
        fs, fe = sent * m + start, sent * m + end
        order = np.argsort(fs, kind="stable")
        run_max = np.maximum.accumulate(fe[order])
        new = np.r_[True, fs[order][1:] >= run_max[:-1]]
        cluster = np.empty(len(kept), dtype=np.int64)
        cluster[order] = np.cumsum(new) - 1
        # Components: entities joined through shared clusters.
        n_ent = int(inst.ent_offsets[-1])
        n_nodes = n_ent + int(cluster.max()) + 1
        graph = coo_matrix(
            (np.ones(len(kept), dtype=np.int8), (ent, n_ent + cluster)), shape=(n_nodes, n_nodes)
        )
        _, label = connected_components(graph, directed=False)
        comp = label[ent]
        # Evident components (cap 1, no saturation): each entity's best, pairwise disjoint.
        if bounds.cap == 1 and not bounds.saturate:
            _, best, _ = _first_max(inst.score[kept], ent)
            b_comp = comp[best]
            b_order = np.lexsort((start[best], b_comp))
            bs, bc = best[b_order], b_comp[b_order]
            clash = (bc[1:] == bc[:-1]) & (start[bs][1:] < end[bs][:-1])
            bad_comp = np.unique(bc[1:][clash])
            ok = ~np.isin(b_comp, bad_comp)
            chosen[kept[best[ok]]] = True
            hard = np.isin(comp, bad_comp)
            stats.evident = len(np.unique(b_comp[ok]))
        else:
            hard = np.ones(len(kept), dtype=np.bool_)
        stats.components = len(np.unique(comp))
        if not hard.any():
            return
        # Hard components: group their pairs, count entities, route to DP or CBC.
        h = np.flatnonzero(hard)
        h = h[np.argsort(comp[h], kind="stable")]
        hc = comp[h]
        starts = _segment_starts(hc)
        bounds_idx = np.r_[starts, len(h)].tolist()
        cbc_pairs: list[IntArray] = []
        ent_l, start_l, end_l = ent[h].tolist(), start[h].tolist(), end[h].tolist()
        score_l = inst.score[kept[h]].tolist()
        ent_sentence = inst.entity_sentence()
        for a, b in pairwise(bounds_idx):
            local: dict[int, int] = {}
            for e in ent_l[a:b]:
                local.setdefault(e, len(local))
            if (bounds.cap + 1) ** len(local) > self.max_dp_states:
                cbc_pairs.append(kept[h[a:b]])
                continue
            stats.dp += 1
            picks, short = _dp_component(
                [local[e] for e in ent_l[a:b]],
                start_l[a:b],
                end_l[a:b],
                score_l[a:b],
                len(local),
                bounds,
            )
            chosen[kept[h[a + np.array(picks, dtype=np.int64)]]] = True
            if short:
                relaxed[ent_sentence[ent_l[a]]] = True
        if cbc_pairs:
            pairs = np.concatenate(cbc_pairs)
            block = np.repeat(
                np.arange(len(cbc_pairs), dtype=np.int64), [len(p) for p in cbc_pairs]
            )
            stats.cbc = len(cbc_pairs)
            self._cbc(inst, pairs, block, bounds, chosen, relaxed, stats)

    def _cbc(
        self,
        inst: MatchingInstance,
        pairs: IntArray,
        block: IntArray,
        bounds: _Bounds,
        chosen: BoolArray,
        relaxed: BoolArray,
        stats: SolveStats,
    ) -> None:
        """Solve the given pairs (independent blocks) in one CBC run; write into ``chosen``."""
        try:
            import pulp
        except ImportError as err:  # pulp is a core dependency; say so if it went missing
            raise ImportError(
                "ILPSolver needs the Python package 'pulp' (a dependency of xproj); "
                "install it with: pip install pulp"
            ) from err
        t0 = time.perf_counter()
        prob = pulp.LpProblem("xproj_matching", pulp.LpMaximize)
        # PuLP >= 3.3 attaches variables through the model (direct LpVariable is deprecated).
        new_var = getattr(prob, "add_variable", None) or pulp.LpVariable
        x = [new_var(f"x{i}", cat="Binary") for i in range(len(pairs))]
        ent = inst.entity[pairs].tolist()
        start = inst.start[pairs].tolist()
        end = inst.end[pairs].tolist()
        score = inst.score[pairs].tolist()
        penalty = float(sum(score)) + 1.0
        objective = pulp.LpAffineExpression(list(zip(x, score)))
        # Count constraints per entity.
        by_entity: dict[int, list[int]] = {}
        for i, e in enumerate(ent):
            by_entity.setdefault(e, []).append(i)
        slack: dict[int, Any] = {}
        for e, rows in by_entity.items():
            expr = pulp.LpAffineExpression([(x[i], 1.0) for i in rows])
            if bounds.upper is not None:
                prob += expr <= bounds.upper
            if bounds.lower:
                s = new_var(f"s{e}", lowBound=0, upBound=bounds.lower)
                slack[e] = s
                prob += expr + s >= bounds.lower
                objective -= penalty * s
        prob += objective
        # No-overlap rows per block.
        by_block: dict[int, list[int]] = {}
        for i, k in enumerate(block.tolist()):
            by_block.setdefault(k, []).append(i)
        for rows in by_block.values():
            for group in self._overlap_groups(rows, start, end):
                prob += pulp.LpAffineExpression([(x[i], 1.0) for i in group]) <= 1
        with warnings.catch_warnings():
            # PuLP 3.3 announces PULP_CBC_CMD's removal in 4.0; it is the CBC binary PuLP
            # bundles (COIN_CMD needs a separately installed CBC), so it is used while it exists.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="pulp")
            status = prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=self.time_limit))
        stats.cbc_calls += 1
        stats.cbc_seconds += time.perf_counter() - t0
        if status != pulp.LpStatusOptimal:
            raise RuntimeError(
                f"CBC returned status {pulp.LpStatus[status]!r} for a model that always has a "
                "feasible solution (all zeros); this is a bug, please report it"
            )
        picked = np.array([(v.varValue or 0.0) > 0.5 for v in x], dtype=np.bool_)
        chosen[pairs[picked]] = True
        ent_sentence = inst.entity_sentence()
        for e, s in slack.items():
            if (s.varValue or 0.0) > 1e-6:
                relaxed[ent_sentence[e]] = True

    def _overlap_groups(self, rows: list[int], start: list[int], end: list[int]) -> list[list[int]]:
        """The "at most one of these" variable groups of one block's no-overlap constraints."""
        groups: list[list[int]] = []
        if self.formulation == "clique":
            seen: set[tuple[int, ...]] = set()
            for p in sorted({start[i] for i in rows}):
                cover = tuple(i for i in rows if start[i] <= p < end[i])
                if len(cover) > 1 and cover not in seen:
                    seen.add(cover)
                    groups.append(list(cover))
            return groups
        # The reduced form, over distinct candidates.
        cands: dict[tuple[int, int], list[int]] = {}
        for i in rows:
            cands.setdefault((start[i], end[i]), []).append(i)
        keys = sorted(cands)
        for a, t1 in enumerate(keys):
            partner = False
            for t2 in keys[a + 1 :]:
                if t2[0] >= t1[1]:
                    break
                partner = True
                groups.append(cands[t1] + cands[t2])
            if not partner and not any(t0[1] > t1[0] for t0 in keys[:a]) and len(cands[t1]) > 1:
                groups.append(cands[t1])
        return groups
