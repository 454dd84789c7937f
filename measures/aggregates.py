"""Aggregates: one column (or, with `by`, its group means) reduced to one number."""
from __future__ import annotations

from . import cellmath
from .function import function

ONE_SAMPLE_TESTS = ("t", "wilcoxon", "binomial", "permutation")


def _aggregate(kind: str):
    stat = cellmath.aggregate(kind)

    def evaluate(call, p):
        cells = p.cells(call.args[0])
        p.record(cells)
        return lambda ext: stat(cells, ext)
    return evaluate


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
]
