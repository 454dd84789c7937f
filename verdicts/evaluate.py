"""Compute a measure on tables: once for the estimate, or for a batch of bootstrap
resamples at once.

    prepared = PreparedMeasure(parse_measure(text), tables, unit="item")
    prepared.evaluate()          # (1,)  the estimate
    prepared.evaluate(W)         # (B,)  W[b, u] = how often unit u is in resample b

The syntax tree is walked once, when preparing: each call's arguments are
filtered and collapsed into cells (cells.py), and the call's measure function
(specc.measures: one object per function, with its definition) turns them into a
function of unit multiplicities; evaluating is then array arithmetic on cell sums.
Nothing is ever passed to Python's `eval`.

A series argument (`max(pearson(...) per checkpoint)`) is prepared once per value of its
key, with `key == value` added to the filters of every table read inside it that has the
key column (series.py); the summary function then reduces the points. Resamples draw
the same units in every slice, so the bootstrap recomputes the whole expression.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from specc.compiler.measure_ast import Apply, BinOp, Call, Filtered, Measure, Number, Per, Unary
from specc.measures import MEASURE_FUNCTIONS

from .cells import ArgCells, MeasureEvalError, UnitIndex, build_cells
from .series import PreparedSeries, prepare_series

Fn = Callable[[np.ndarray], np.ndarray]   # extended weights (B, U+1) -> (B,)


class PreparedMeasure:
    def __init__(self, measure: Measure, tables: Any, unit: str, missing: str | None = None):
        self.measure = measure
        self.units = UnitIndex(unit)
        self.tables = tables
        self.missing = missing or "error"          # the hypothesis's policy for empty values
        self.dropped: dict[str, int] = {}          # column -> rows left out (missing: drop)
        self.calls: list[tuple[Call, list[ArgCells]]] = []
        self.series: list[PreparedSeries] = []      # every `... per key`, outermost last
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
        if isinstance(node, Apply):
            inner = self._prepare(node.operand, scope)
            fn = {"abs": np.abs, "log": np.log, "exp": np.exp}[node.func.text]
            return lambda ext: fn(inner(ext))
        if isinstance(node, BinOp):
            left, right = self._prepare(node.left, scope), self._prepare(node.right, scope)
            op = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[node.op]
            return lambda ext: op(left(ext), right(ext))
        if isinstance(node, Filtered):
            return self._prepare(node.expr, scope + list(node.where.conds))
        if isinstance(node, Call):
            return self._call(node, scope)
        raise MeasureEvalError(f"cannot evaluate {type(node).__name__}")

    def _call(self, call: Call, scope: list) -> Fn:
        fn = MEASURE_FUNCTIONS.get(call.func.text)
        preparer = _Preparer(self, call, scope)
        if call.args and isinstance(call.args[0], Per):
            series = prepare_series(self, call.args[0], scope)
            self.series.append(series)
            out = _summarise(fn, call, series)
        else:
            out = fn.evaluate(call, preparer)
        self.calls.append((call, preparer.recorded))
        return out


def _summarise(fn, call: Call, series: PreparedSeries) -> Fn:
    """The summary of the series' points; undefined (NaN) where a point in the resample is."""
    def run(ext: np.ndarray) -> np.ndarray:
        values, weights = series.points(ext)
        out = fn.series(call, values, weights, series.keys)
        return np.where(series.complete(ext, values), out, np.nan)
    return run


class _Preparer:
    """What a measure function's `evaluate` sees: its arguments as cells."""

    def __init__(self, prepared: PreparedMeasure, call: Call, scope: list):
        self.prepared, self.call, self.scope = prepared, call, scope
        self.recorded: list[ArgCells] = []

    def cells(self, arg, **kw) -> ArgCells:
        """The argument filtered (its own `where` and the enclosing ones) and collapsed into
        cells; `by_override=(keys)` groups by other keys, `by_row=True` one group per row."""
        p = self.prepared
        conds = list(arg.where.conds) if arg.where else []
        conds += [c for c in self.scope if c.source is None or c.source.text == arg.column.source]
        return build_cells(arg, conds, p.tables, p.units.name, p.units, missing=p.missing,
                           dropped=p.dropped, **kw)

    def record(self, *cells: ArgCells) -> None:
        """The cells the function's value depends on (tests and intervals read them)."""
        self.recorded = list(cells)
