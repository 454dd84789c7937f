"""Aggregates: one column (or, with `by`, its group means) reduced to one number."""
from __future__ import annotations

import numpy as np

from . import cellmath, seriesmath
from .function import function

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
    keys = seriesmath.ordered_keys([k[0] for k in cells.keys], f"{name}({cells.label})")
    return keys, np.argsort(keys, kind="stable")


def _position(largest: bool):
    """argmax / argmin: the key (an axis value: checkpoint, layer, tokens) whose group mean
    is largest (smallest); the first such key on ties."""
    def evaluate(call, p):
        cells = p.cells(call.args[0])
        p.record(cells)
        keys, order = _ordered_keys(cells, call.func.text)
        pick = seriesmath.position(largest)
        return lambda ext: _pick(pick, call, cells, ext, keys, order)
    return evaluate


def _pick(summary, call, cells, ext, keys, order):
    """A series summary on the curve of group means over an ordered `by` key."""
    means, freq = cellmath.groups(cells, ext)
    return summary(call, means[:, order], freq[:, order], keys[order])


def _first_reaching(call, p):
    """The smallest key (e.g. tokens) whose group mean reaches `level`; undefined (NaN) when
    none does, so a resample that never reaches it gives no value."""
    cells = p.cells(call.args[0])
    p.record(cells)
    keys, order = _ordered_keys(cells, "first_reaching")
    return lambda ext: _pick(seriesmath.first_reaching, call, cells, ext, keys, order)


def _one_key(call):
    arg = call.args[0]
    if getattr(arg, "key", None) is None and len(arg.by) != 1:   # a series has its `per` key
        name = call.func.text
        return (call.func.offset, f"{name} reads a curve over an ordered axis: it needs 'by' and "
                "one key, or a series (... per key)", f"e.g. {name}(score.correct by checkpoint"
                + (", level=0.6)" if name == "first_reaching" else ")"))
    return None


_S = seriesmath.summary
FUNCTIONS = [
    function("mean", 1, "aggregate", "Mean of the column (or of a series).", _aggregate("mean"),
             sample="one", tests=ONE_SAMPLE_TESTS, summary="scale", series=_S("mean")),
    function("median", 1, "aggregate", "Median of the column (or of a series).", _aggregate("median"),
             summary="scale", series=_S("median")),
    function("sum", 1, "aggregate", "Sum of the column.", _aggregate("sum")),
    function("count", 1, "aggregate", "Number of rows (after `where`; groups after `by`).",
             _aggregate("count")),
    function("std", 1, "aggregate", "Sample standard deviation of the column (ddof=1; of a series: "
             "over its points).", _aggregate("std"), series=_S("std")),
    function("min", 1, "aggregate", "Smallest value of the column (or of a series).", _aggregate("min"),
             series=_S("min")),
    function("max", 1, "aggregate", "Largest value of the column (or of a series).", _aggregate("max"),
             series=_S("max")),
    function("range", 1, "aggregate", "Largest minus smallest value (with `by`: of the group means; "
             "of a series: of its points).", _range, series=_S("range")),
    function("argmax", 1, "aggregate", "The `by` key (an ordered axis, e.g. checkpoint) whose group "
             "mean is largest; of a series: the `per` key value of its largest point.",
             _position(True), check=_one_key, series=seriesmath.position(True), ordered=True),
    function("argmin", 1, "aggregate", "The `by` key (an ordered axis) whose group mean is smallest; "
             "of a series: the `per` key value of its smallest point.",
             _position(False), check=_one_key, series=seriesmath.position(False), ordered=True),
    function("first_reaching", 1, "aggregate", "The first `by` key (an ordered axis, e.g. tokens) "
             "whose group mean reaches `level`; of a series: the first `per` key value whose point "
             "reaches it.", _first_reaching, kwargs={"level": "number"}, required=("level",),
             check=_one_key, series=seriesmath.first_reaching, ordered=True),
]
