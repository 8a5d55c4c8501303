"""Link extraction from a similarity matrix: the numpy half of the embedding aligners.

Every function takes a ``(m, n)`` similarity matrix (rows: source units, columns: target units)
and returns a boolean ``(m, n)`` link matrix. They know nothing about models or words, so they
are tested on hand-made matrices.

Examples
--------
>>> import numpy as np
>>> sim = np.array([[0.9, 0.1], [0.8, 0.2]])
>>> mutual_argmax(sim).astype(int).tolist()
[[1, 0], [0, 0]]
>>> max_weight_matching(sim).astype(int).tolist()
[[1, 0], [0, 1]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "apply_distortion",
    "bidirectional_softmax",
    "csls",
    "grow_diag",
    "itermax",
    "max_weight_matching",
    "mutual_argmax",
]

FloatMatrix = NDArray[np.floating]
BoolMatrix = NDArray[np.bool_]


def _forward(sim: FloatMatrix) -> BoolMatrix:
    """Each row's best column (ties: the first)."""
    out = np.zeros(sim.shape, dtype=bool)
    out[np.arange(sim.shape[0]), sim.argmax(axis=1)] = True
    return out


def _backward(sim: FloatMatrix) -> BoolMatrix:
    """Each column's best row (ties: the first)."""
    out = np.zeros(sim.shape, dtype=bool)
    out[sim.argmax(axis=0), np.arange(sim.shape[1])] = True
    return out


def mutual_argmax(sim: FloatMatrix) -> BoolMatrix:
    """Links ``(i, j)`` where ``j`` is row ``i``'s best column and ``i`` column ``j``'s best row.

    Examples
    --------
    >>> import numpy as np
    >>> mutual_argmax(np.array([[0.9, 0.5], [0.6, 0.7]])).astype(int).tolist()
    [[1, 0], [0, 1]]
    """
    if sim.size == 0:
        return np.zeros(sim.shape, dtype=bool)
    return _forward(sim) & _backward(sim)


def itermax(sim: FloatMatrix, *, max_iter: int = 2, alpha: float = 0.9) -> BoolMatrix:
    """SimAlign's iterative mutual argmax ("IterMax", Jalili Sabet et al. 2020).

    Starts from the mutual argmax links, then repeats up to ``max_iter - 1`` times: rows and
    columns that are already linked are down-weighted by ``alpha`` (a unit linked on both sides is
    excluded), and mutual argmaxes of the reweighted matrix that touch at least one unlinked unit
    are added. Matrices with a side of at most two units get the plain mutual argmax.

    Examples
    --------
    >>> import numpy as np
    >>> sim = np.array([[0.9, 0.8, 0.1], [0.2, 0.3, 0.95], [0.1, 0.2, 0.3]])
    >>> itermax(sim).astype(int).tolist()
    [[1, 1, 0], [0, 0, 1], [0, 0, 1]]
    """
    links = mutual_argmax(sim)
    m, n = sim.shape
    if min(m, n) <= 2:
        return links
    for _ in range(max_iter - 1):
        row_free: BoolMatrix = ~np.any(links, axis=1)
        col_free: BoolMatrix = ~np.any(links, axis=0)
        if not row_free.any() or not col_free.any():
            break
        # alpha per side that is still free, capped at 1; 0 where both sides are linked
        weight = np.clip(alpha * row_free[:, None] + alpha * col_free[None, :], 0.0, 1.0)
        eligible = row_free[:, None] | col_free[None, :]
        new = mutual_argmax(sim * weight) & eligible
        if not (new & ~links).any():
            break
        links = links | new
    return links


def max_weight_matching(sim: FloatMatrix) -> BoolMatrix:
    """A one-to-one alignment of maximum total similarity (``linear_sum_assignment``).

    Every unit of the shorter side gets exactly one link.

    Examples
    --------
    >>> import numpy as np
    >>> max_weight_matching(np.array([[0.9, 0.8], [0.85, 0.1]])).astype(int).tolist()
    [[0, 1], [1, 0]]
    """
    from scipy.optimize import linear_sum_assignment

    out = np.zeros(sim.shape, dtype=bool)
    if sim.size == 0:
        return out
    rows, cols = linear_sum_assignment(sim, maximize=True)
    out[rows, cols] = True
    return out


def bidirectional_softmax(
    sim: FloatMatrix, *, threshold: float = 1e-3, temperature: float = 1.0
) -> BoolMatrix:
    """Links whose probability exceeds ``threshold`` in both softmax directions.

    The extraction of awesome-align (Dou & Neubig 2021): softmax over each row and over each
    column of ``sim / temperature``; a link needs both probabilities above ``threshold``.
    """
    if sim.size == 0:
        return np.zeros(sim.shape, dtype=bool)
    z = sim / temperature
    fwd = np.exp(z - z.max(axis=1, keepdims=True))
    fwd /= fwd.sum(axis=1, keepdims=True)
    bwd = np.exp(z - z.max(axis=0, keepdims=True))
    bwd /= bwd.sum(axis=0, keepdims=True)
    out: BoolMatrix = (fwd > threshold) & (bwd > threshold)
    return out


def grow_diag(sim: FloatMatrix, *, final: bool = True) -> BoolMatrix:
    """Symmetrise the two argmax directions with grow-diag(-final) (Koehn et al. 2005).

    Starts from the intersection of the forward (row -> best column) and backward links, adds
    neighbouring (incl. diagonal) union links that touch an unaligned unit, and with ``final``
    adds remaining union links whose row or column is still unaligned.
    """
    if sim.size == 0:
        return np.zeros(sim.shape, dtype=bool)
    fwd, bwd = _forward(sim), _backward(sim)
    union = fwd | bwd
    links = fwd & bwd
    m, n = sim.shape
    neighbours = [(-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]
    added = True
    while added:
        added = False
        for i, j in np.argwhere(links):
            for di, dj in neighbours:
                a, b = i + di, j + dj
                if (
                    0 <= a < m
                    and 0 <= b < n
                    and union[a, b]
                    and not links[a, b]
                    and (not links[a].any() or not links[:, b].any())
                ):
                    links[a, b] = True
                    added = True
    if final:
        for a, b in np.argwhere(union & ~links):
            if not links[a].any() or not links[:, b].any():
                links[a, b] = True
    return links


def csls(sim: FloatMatrix, k: int) -> FloatMatrix:
    """Hubness-corrected similarity (CSLS, Conneau et al. 2018) within one sentence pair.

    ``2 * sim[i, j] - r_src[i] - r_tgt[j]``, where ``r_src[i]`` is the mean of row ``i``'s
    ``k`` largest entries and ``r_tgt[j]`` that of column ``j``'s (fewer where the matrix is
    smaller). A unit similar to everything is penalised in every pairing.

    Examples
    --------
    >>> import numpy as np
    >>> sim = np.array([[0.9, 0.85], [0.8, 0.2]])  # column 0 is close to every row
    >>> int(sim[0].argmax()), int(csls(sim, 2)[0].argmax())
    (0, 1)
    """
    if sim.size == 0:
        return sim
    ks = min(k, sim.shape[1])
    kt = min(k, sim.shape[0])
    r_src = -np.sort(-sim, axis=1)[:, :ks].mean(axis=1)
    r_tgt = -np.sort(-sim, axis=0)[:kt].mean(axis=0)
    out: FloatMatrix = 2 * sim - r_src[:, None] - r_tgt[None, :]
    return out


def apply_distortion(
    sim: FloatMatrix, src_pos: NDArray[np.floating], tgt_pos: NDArray[np.floating], ratio: float
) -> FloatMatrix:
    """SimAlign's distortion correction: ``sim * (1 - ratio * (p_src - p_tgt) ** 2)``.

    ``src_pos`` and ``tgt_pos`` are relative positions in [0, 1] (e.g. word index / length), so
    links far from the diagonal lose up to ``ratio`` of their similarity.

    Examples
    --------
    >>> import numpy as np
    >>> apply_distortion(np.ones((2, 2)), np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.5).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    if ratio == 0.0:
        return sim
    penalty = 1.0 - ratio * (src_pos[:, None] - tgt_pos[None, :]) ** 2
    out: FloatMatrix = sim * penalty
    return out
