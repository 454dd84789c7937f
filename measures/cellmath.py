"""Statistics of cells (see specc.verdicts.cells), for the estimate and for batches of
resamples at once: `ext` (B, U+1) holds each unit's multiplicity in each resample, and a
last column of ones for rows that are not resampled.

Every measure function is written with these (measures/*.py); none of them reads rows
again. Tests check each against numpy/scipy on the materialised resample.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import sparse

from . import weighted
from .function import MeasureEvalError

_DENSE_LIMIT = 8_000_000                   # units x groups kept as a dense matrix


def cell_weights(cells, ext: np.ndarray) -> np.ndarray:
    return ext[:, cells.cell_unit]


def unit_sums(cells, ext: np.ndarray, which: str) -> np.ndarray:
    """Per group, the sum of a cell quantity (n, s1, s2) weighted by its unit's multiplicity:
    ext (B, U+1) @ A (U+1, G), with A[u, g] the quantity of cell (u, g) — one sparse
    product, never a (B, cells) array."""
    key = (which, ext.shape[1])
    if key not in cells.cache:
        rows = np.where(cells.cell_unit >= 0, cells.cell_unit, ext.shape[1] - 1)
        A = sparse.csr_matrix((getattr(cells, which), (rows, cells.cell_group)),
                              shape=(ext.shape[1], cells.n_groups))
        # Dense when it fits: a BLAS product, no copies of ext.
        cells.cache[key] = A.toarray() if ext.shape[1] * cells.n_groups <= _DENSE_LIMIT else A
    A = cells.cache[key]
    return ext @ A if isinstance(A, np.ndarray) else np.asarray((A.T @ ext.T).T)


def groups(cells, ext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group: its mean and its frequency in each resample, both (B, G)."""
    fixed = _fixed_groups(cells, ext)
    if fixed is not None:
        return fixed
    N = unit_sums(cells, ext, "n")
    S1 = unit_sums(cells, ext, "s1")
    means = np.where(N > 0, S1 / np.where(N > 0, N, 1), np.nan)
    freq = np.where(cells.group_unit >= 0, ext[:, np.maximum(cells.group_unit, 0)], (N > 0).astype(float))
    return means, np.where(N > 0, freq, 0.0)


def _fixed_groups(cells, ext: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The same, without a product over units, when no group's mean can change: each group is
    one unit (by item, unit item: a drawn group repeats whole) or nothing is resampled (a human
    reference table). O(B x G) instead of O(B x U x G) — what keeps a series of correlations
    per checkpoint over thousands of items cheap. The means are the groups' own, exactly."""
    unit = cells.group_unit
    whole = (unit >= 0).all() or (cells.cell_unit < 0).all()
    if not whole or not len(unit):
        return None
    if "group_means" not in cells.cache:
        n = np.bincount(cells.cell_group, weights=cells.n, minlength=cells.n_groups)
        s1 = np.bincount(cells.cell_group, weights=cells.s1, minlength=cells.n_groups)
        cells.cache["group_means"] = s1 / np.where(n > 0, n, 1)
    base = cells.cache["group_means"]
    B = ext.shape[0]
    if (unit >= 0).all():
        freq = ext[:, unit]
        return np.where(freq > 0, base, np.nan), freq
    return np.broadcast_to(base, (B, len(base))).copy(), np.ones((B, len(base)))


def moments(cells, ext: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, mean, variance ddof 1) of the rows, or of the group means with `by`."""
    if cells.n_groups == 1 and cells.keys == [()]:
        N, S1, C1, S2 = (unit_sums(cells, ext, k)[:, 0] for k in ("n", "s1", "c1", "s2"))
        safe = np.where(N > 0, N, 1)
        mean = np.where(N > 0, S1 / safe, np.nan)
        shift = C1 / safe                                  # mean - the column's mean
        var = np.where(N > 1, (S2 - N * shift ** 2) / np.where(N > 1, N - 1, 1), np.nan)
        return N, mean, np.maximum(var, 0.0)
    means, freq = groups(cells, ext)
    return freq.sum(1), weighted.mean(means, freq), weighted.var(means, freq)


def aggregate(kind: str) -> Callable[..., np.ndarray]:
    def run(cells, ext: np.ndarray) -> np.ndarray:
        grouped = not (cells.n_groups == 1 and cells.keys == [()])
        if kind in ("mean", "count", "std"):
            n, mean, var = moments(cells, ext)
            return {"mean": mean, "count": n, "std": np.sqrt(var)}[kind]
        if grouped:
            means, freq = groups(cells, ext)
            if kind == "sum":
                return (np.nan_to_num(means) * freq).sum(1)
            if kind == "median":
                return weighted.median(np.nan_to_num(means), freq)
            return weighted.extreme(means, freq, largest=kind == "max")
        if kind == "sum":
            return unit_sums(cells, ext, "s1")[:, 0]
        cw = cell_weights(cells, ext)
        if kind == "median":
            return weighted.median(cells.values, ext[:, cells.row_unit])
        return weighted.extreme(cells.hi if kind == "max" else cells.lo, cw, largest=kind == "max")
    return run




def cohens_d(a, b) -> np.ndarray:
    (na, ma, va), (nb, mb, vb) = a, b
    pooled = np.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    return (ma - mb) / pooled


def norm_key(key: tuple) -> tuple:
    return tuple(k.item() if isinstance(k, np.generic) else k for k in key)


def join(a, b, name: str) -> tuple[np.ndarray, np.ndarray]:
    where = {norm_key(k): j for j, k in enumerate(b.keys)}
    pairs = [(i, where[norm_key(k)]) for i, k in enumerate(a.keys) if norm_key(k) in where]
    if not pairs:
        raise MeasureEvalError(
            f"{name}: no key of {a.label} matches a key of {b.label} (e.g. {a.keys[0]!r} vs "
            f"{b.keys[0]!r}); the 'by' columns must hold the same values")
    if len(pairs) < 3:
        raise MeasureEvalError(f"{name}({a.label}, {b.label}): only {len(pairs)} joined pairs; "
                               "a correlation needs at least 3")
    ia, ib = (np.array(x) for x in zip(*pairs))
    return ia, ib


def paired(a, b, pairs, ext):
    ia, ib = pairs
    ma, fa = groups(a, ext)
    mb, fb = groups(b, ext)
    ua, ub = a.group_unit[ia], b.group_unit[ib]
    same = (ua >= 0) & (ua == ub)   # one unit on both sides: its copies pair with themselves
    w = np.where(same, ext[:, np.maximum(ua, 0)], fa[:, ia] * fb[:, ib])
    return ma[:, ia], mb[:, ib], w


def between_within(cells, ext: np.ndarray, icc: bool) -> np.ndarray:
    means, freq = groups(cells, ext)                 # replicate means (between, within)
    level_of = np.array([k[0] for k in cells.keys], dtype=object)
    levels = list(dict.fromkeys(level_of.tolist()))
    B = ext.shape[0]
    M, V, K, L = (np.zeros((B, len(levels))) for _ in range(4))
    ss_within = np.zeros(B)
    for j, level in enumerate(levels):
        cols = np.nonzero(level_of == level)[0]
        m, f = means[:, cols], freq[:, cols]
        units = set(cells.group_unit[cols].tolist())
        one = units.pop() if len(units) == 1 else -1
        if one >= 0:  # the level itself is the unit: its replicates count once per copy
            L[:, j] = ext[:, one]
            f = f / np.where(L[:, j:j + 1] > 0, L[:, j:j + 1], 1)
        M[:, j] = weighted.mean(m, f)
        V[:, j] = weighted.var(m, f)
        K[:, j] = f.sum(1)
        if one < 0:
            L[:, j] = K[:, j] > 0
        ss_within += L[:, j] * (f * np.nan_to_num(m - M[:, j:j + 1]) ** 2).sum(1)
    if not icc:
        return weighted.var(M, L) / weighted.mean(V, L)
    g = L.sum(1)
    N = (L * K).sum(1)
    k0 = (N - (L * K ** 2).sum(1) / N) / (g - 1)
    grand = (L * K * np.nan_to_num(M)).sum(1) / N
    msb = (L * K * np.nan_to_num(M - grand[:, None]) ** 2).sum(1) / (g - 1)
    msw = ss_within / (N - g)
    return (msb - msw) / (msb + (k0 - 1) * msw)


def observations(cells) -> tuple[np.ndarray, np.ndarray | None]:
    """(values, their unit index or None): unit means, group means, or rows."""
    if cells.keys != [()]:
        n = np.bincount(cells.row_group, minlength=cells.n_groups)
        s = np.bincount(cells.row_group, weights=cells.values, minlength=cells.n_groups)
        return s / n, None
    if (cells.row_unit >= 0).all():
        n = np.bincount(cells.row_unit)
        s = np.bincount(cells.row_unit, weights=cells.values)
        units = np.nonzero(n)[0]
        return s[units] / n[units], units
    return cells.values, None
