"""Aggregates: one column (or, with `by`, its group means) reduced to one number."""
from __future__ import annotations

import numpy as np

from . import cellmath
from .function import MeasureEvalError, function

ONE_SAMPLE_TESTS = ("t", "wilcoxon", "binomial", "permutation")


def _aggregate(kind: str):
    stat = cellmath.aggregate(kind)

    def evaluate(call, p):
        cells = p.cells(call.args[0])
        p.record(cells)
        return lambda ext: stat(cells, ext)
    return evaluate


def _range(call, p):
    cells = p.cells(call.args[0])
    p.record(cells)
    top, bottom = cellmath.aggregate("max"), cellmath.aggregate("min")
    return lambda ext: top(cells, ext) - bottom(cells, ext)


def _ordered_keys(cells, name: str):
    try:
        keys = np.array([float(k[0]) for k in cells.keys])
    except (TypeError, ValueError):
        raise MeasureEvalError(f"{name}({cells.label}): the 'by' key must be numeric (an ordered "
                               f"axis), got {cells.keys[0][0]!r}") from None
    return keys, np.argsort(keys, kind="stable")


def _argmax(call, p):
    """The key (an axis value: checkpoint, layer, tokens) whose group mean is largest; the
    first such key on ties."""
    cells = p.cells(call.args[0])
    p.record(cells)
    keys, order = _ordered_keys(cells, "argmax")

    def run(ext):
        means, freq = cellmath.groups(cells, ext)
        picked = np.where(freq[:, order] > 0, np.nan_to_num(means[:, order], nan=-np.inf), -np.inf)
        best = picked.argmax(axis=1)
        return np.where(np.isfinite(picked.max(axis=1)), keys[order][best], np.nan)
    return run


def _first_reaching(call, p):
    """The smallest key (e.g. tokens) whose group mean reaches `level`; undefined (NaN) when
    none does, so a resample that never reaches it gives no value."""
    cells = p.cells(call.args[0])
    p.record(cells)
    keys, order = _ordered_keys(cells, "first_reaching")
    level = float(call.kwarg("level").value)

    def run(ext):
        means, freq = cellmath.groups(cells, ext)
        reached = (freq[:, order] > 0) & (np.nan_to_num(means[:, order], nan=-np.inf) >= level)
        first = reached.argmax(axis=1)
        return np.where(reached.any(axis=1), keys[order][first], np.nan)
    return run


def _one_key(call):
    arg = call.args[0]
    if len(arg.by) != 1:
        name = call.func.text
        return (call.func.offset, f"{name} reads a curve over an ordered axis: it needs 'by' and "
                "one key", f"e.g. {name}(score.correct by checkpoint"
                + (", level=0.6)" if name == "first_reaching" else ")"))
    return None


FUNCTIONS = [
    function("mean", 1, "aggregate", "Mean of the column.", _aggregate("mean"),
             sample="one", tests=ONE_SAMPLE_TESTS, summary="scale"),
    function("median", 1, "aggregate", "Median of the column.", _aggregate("median"), summary="scale"),
    function("sum", 1, "aggregate", "Sum of the column.", _aggregate("sum")),
    function("count", 1, "aggregate", "Number of rows (after `where`; groups after `by`).",
             _aggregate("count")),
    function("std", 1, "aggregate", "Sample standard deviation of the column (ddof=1).", _aggregate("std")),
    function("min", 1, "aggregate", "Smallest value of the column.", _aggregate("min")),
    function("max", 1, "aggregate", "Largest value of the column.", _aggregate("max")),
    function("range", 1, "aggregate", "Largest minus smallest value (with `by`: of the group means).",
             _range),
    function("argmax", 1, "aggregate", "The `by` key (an ordered axis, e.g. checkpoint) whose group "
             "mean is largest.", _argmax, check=_one_key),
    function("first_reaching", 1, "aggregate", "The first `by` key (an ordered axis, e.g. tokens) "
             "whose group mean reaches `level`.", _first_reaching, kwargs={"level": "number"},
             required=("level",), check=_one_key),
]
