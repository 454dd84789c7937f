"""Compute a measure on tables: once for the estimate, or for a batch of bootstrap
resamples at once.

    prepared = PreparedMeasure(parse_measure(text), tables, unit="item")
    prepared.evaluate()          # (1,)  the estimate
    prepared.evaluate(W)         # (B,)  W[b, u] = how often unit u is in resample b

The syntax tree is walked once, when preparing: each call's arguments are
filtered and collapsed into cells (cells.py); evaluating is then array arithmetic
on cell sums (weighted.py). Nothing is ever passed to Python's `eval`.

Definitions (with `by`, an argument is first reduced to one mean per group):
  mean/median/sum/std/min/max/count   of the rows, or of the group means
  diff_means(a, b)                    mean(a) - mean(b)
  cohens_d(a, b)                      (mean(a) - mean(b)) / pooled sd (ddof 1)
  pearson/spearman/kendall(a, b)      on a and b joined on their keys, in order
                                      (no `by`: row by row, same table and filter)
  accuracy_vs_chance(a, chance=c)     mean(a) - c
  variance_ratio(a, between=, within=) variance of the between-group means over the
                                      mean variance of replicate means within a group
  icc1(a, between=, within=)          ICC(1) of replicate means, one-way ANOVA, k0 for
                                      unequal replicates
  permutation_p(a, b, n=)             two-sided permutation p of mean(a) - mean(b)
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from scipy import sparse

from specc.compiler.measure_ast import BinOp, Call, Filtered, Measure, Number, Unary

from . import weighted
from .cells import ArgCells, MeasureEvalError, UnitIndex, build_cells

Fn = Callable[[np.ndarray], np.ndarray]   # extended weights (B, U+1) -> (B,)
_DENSE_LIMIT = 8_000_000                   # units x groups kept as a dense matrix


class PreparedMeasure:
    def __init__(self, measure: Measure, tables: Any, unit: str):
        self.measure = measure
        self.units = UnitIndex(unit)
        self.tables = tables
        self.calls: list[tuple[Call, list[ArgCells]]] = []
        self._fn = self._prepare(measure.expr, [])

    @property
    def n_units(self) -> int:
        return len(self.units)

    def evaluate(self, W: np.ndarray | None = None) -> np.ndarray:
        """The measure for each row of unit multiplicities W (B, n_units); None: the data."""
        if W is None:
            W = np.ones((1, self.n_units))
        W = np.asarray(W, dtype=float)
        ext = np.concatenate([W, np.ones((W.shape[0], 1))], axis=1)  # column -1: not resampled
        return self.evaluate_extended(ext)

    def evaluate_extended(self, ext: np.ndarray) -> np.ndarray:
        """`evaluate` for multiplicities already extended by a last column of ones."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._fn(ext)

    def estimate(self) -> float:
        return float(self.evaluate()[0])

    # -- preparing ------------------------------------------------------------------

    def _prepare(self, node, scope: list) -> Fn:
        if isinstance(node, Number):
            value = float(node.value)
            return lambda ext: np.full(ext.shape[0], value)
        if isinstance(node, Unary):
            inner = self._prepare(node.operand, scope)
            return lambda ext: -inner(ext)
        if isinstance(node, BinOp):
            left, right = self._prepare(node.left, scope), self._prepare(node.right, scope)
            op = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[node.op]
            return lambda ext: op(left(ext), right(ext))
        if isinstance(node, Filtered):
            return self._prepare(node.expr, scope + list(node.where.conds))
        if isinstance(node, Call):
            return self._call(node, scope)
        raise MeasureEvalError(f"cannot evaluate {type(node).__name__}")

    def _cells(self, arg, scope, **kw) -> ArgCells:
        conds = list(arg.where.conds) if arg.where else []
        conds += [c for c in scope if c.source is None or c.source.text == arg.column.source]
        return build_cells(arg, conds, self.tables, self.units.name, self.units, **kw)

    def _call(self, call: Call, scope: list) -> Fn:
        name = call.func.text
        if name in AGGREGATES:
            cells = self._cells(call.args[0], scope)
            self.calls.append((call, [cells]))
            return lambda ext: AGGREGATES[name](cells, ext)
        if name in ("pearson", "spearman", "kendall"):
            a, b = (self._cells(arg, scope) for arg in call.args)
            if not call.args[0].by:  # row by row: both arguments must be the same rows
                if a.mask_key != b.mask_key:
                    raise MeasureEvalError(f"{name}({a.label}, {b.label}) without 'by' pairs rows "
                                           "one to one, so both must read the same table and filter; "
                                           "join different tables with by keys")
                a, b = (self._cells(arg, scope, by_row=True) for arg in call.args)
            self.calls.append((call, [a, b]))
            pairs = _join(a, b, name)
            stat = {"pearson": weighted.pearson, "spearman": weighted.spearman,
                    "kendall": weighted.kendall}[name]
            return lambda ext: stat(*_paired(a, b, pairs, ext))
        if name in ("diff_means", "cohens_d", "permutation_p"):
            a, b = (self._cells(arg, scope) for arg in call.args)
            self.calls.append((call, [a, b]))
            if name == "diff_means":
                return lambda ext: _moments(a, ext)[1] - _moments(b, ext)[1]
            if name == "cohens_d":
                return lambda ext: _cohens_d(_moments(a, ext), _moments(b, ext))
            n = call.kwarg("n")
            return _permutation_p(a, b, int(n.value) if n is not None else 10_000)
        if name == "accuracy_vs_chance":
            cells = self._cells(call.args[0], scope)
            self.calls.append((call, [cells]))
            chance = float(call.kwarg("chance").value)
            return lambda ext: _moments(cells, ext)[1] - chance
        if name in ("variance_ratio", "icc1"):
            between, within = call.kwarg("between").text, call.kwarg("within").text
            cells = self._cells(call.args[0], scope, by_override=(between, within))
            self.calls.append((call, [cells]))
            return lambda ext: _between_within(cells, ext, icc=name == "icc1")
        raise MeasureEvalError(f"no evaluator for {name!r}")


# -- cells to statistics ------------------------------------------------------------

def _cell_weights(cells: ArgCells, ext: np.ndarray) -> np.ndarray:
    return ext[:, cells.cell_unit]


def _unit_sums(cells: ArgCells, ext: np.ndarray, which: str) -> np.ndarray:
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


def _groups(cells: ArgCells, ext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group: its mean and its frequency in each resample, both (B, G)."""
    N = _unit_sums(cells, ext, "n")
    S1 = _unit_sums(cells, ext, "s1")
    means = np.where(N > 0, S1 / np.where(N > 0, N, 1), np.nan)
    freq = np.where(cells.group_unit >= 0, ext[:, np.maximum(cells.group_unit, 0)], (N > 0).astype(float))
    return means, np.where(N > 0, freq, 0.0)


def _moments(cells: ArgCells, ext: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, mean, variance ddof 1) of the rows, or of the group means with `by`."""
    if cells.n_groups == 1 and cells.keys == [()]:
        N, S1, C1, S2 = (_unit_sums(cells, ext, k)[:, 0] for k in ("n", "s1", "c1", "s2"))
        safe = np.where(N > 0, N, 1)
        mean = np.where(N > 0, S1 / safe, np.nan)
        shift = C1 / safe                                  # mean - the column's mean
        var = np.where(N > 1, (S2 - N * shift ** 2) / np.where(N > 1, N - 1, 1), np.nan)
        return N, mean, np.maximum(var, 0.0)
    means, freq = _groups(cells, ext)
    return freq.sum(1), weighted.mean(means, freq), weighted.var(means, freq)


def _aggregate(kind: str) -> Callable[[ArgCells, np.ndarray], np.ndarray]:
    def run(cells: ArgCells, ext: np.ndarray) -> np.ndarray:
        grouped = not (cells.n_groups == 1 and cells.keys == [()])
        if kind in ("mean", "count", "std"):
            n, mean, var = _moments(cells, ext)
            return {"mean": mean, "count": n, "std": np.sqrt(var)}[kind]
        if grouped:
            means, freq = _groups(cells, ext)
            if kind == "sum":
                return (np.nan_to_num(means) * freq).sum(1)
            if kind == "median":
                return weighted.median(np.nan_to_num(means), freq)
            return weighted.extreme(means, freq, largest=kind == "max")
        if kind == "sum":
            return _unit_sums(cells, ext, "s1")[:, 0]
        cw = _cell_weights(cells, ext)
        if kind == "median":
            return weighted.median(cells.values, ext[:, cells.row_unit])
        return weighted.extreme(cells.hi if kind == "max" else cells.lo, cw, largest=kind == "max")
    return run


AGGREGATES = {k: _aggregate(k) for k in ("mean", "median", "sum", "count", "std", "min", "max")}


def _cohens_d(a, b) -> np.ndarray:
    (na, ma, va), (nb, mb, vb) = a, b
    pooled = np.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    return (ma - mb) / pooled


def _norm_key(key: tuple) -> tuple:
    return tuple(k.item() if isinstance(k, np.generic) else k for k in key)


def _join(a: ArgCells, b: ArgCells, name: str) -> tuple[np.ndarray, np.ndarray]:
    where = {_norm_key(k): j for j, k in enumerate(b.keys)}
    pairs = [(i, where[_norm_key(k)]) for i, k in enumerate(a.keys) if _norm_key(k) in where]
    if not pairs:
        raise MeasureEvalError(
            f"{name}: no key of {a.label} matches a key of {b.label} (e.g. {a.keys[0]!r} vs "
            f"{b.keys[0]!r}); the 'by' columns must hold the same values")
    if len(pairs) < 3:
        raise MeasureEvalError(f"{name}({a.label}, {b.label}): only {len(pairs)} joined pairs; "
                               "a correlation needs at least 3")
    ia, ib = (np.array(x) for x in zip(*pairs))
    return ia, ib


def _paired(a: ArgCells, b: ArgCells, pairs, ext):
    ia, ib = pairs
    ma, fa = _groups(a, ext)
    mb, fb = _groups(b, ext)
    ua, ub = a.group_unit[ia], b.group_unit[ib]
    same = (ua >= 0) & (ua == ub)   # one unit on both sides: its copies pair with themselves
    w = np.where(same, ext[:, np.maximum(ua, 0)], fa[:, ia] * fb[:, ib])
    return ma[:, ia], mb[:, ib], w


def _between_within(cells: ArgCells, ext: np.ndarray, icc: bool) -> np.ndarray:
    means, freq = _groups(cells, ext)                 # replicate means (between, within)
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


def _permutation_p(a: ArgCells, b: ArgCells, n: int) -> Fn:
    from scipy.stats import permutation_test

    def run(ext: np.ndarray) -> np.ndarray:
        if ext.shape[0] != 1 or not np.all(ext == 1):
            raise MeasureEvalError("permutation_p is a p-value: it has no bootstrap interval "
                                   "(use interval: {method: none})")
        res = permutation_test((a.values, b.values), lambda x, y, axis: x.mean(axis) - y.mean(axis),
                               n_resamples=n, vectorized=True, rng=np.random.default_rng(0))
        return np.array([res.pvalue])
    return run
