"""Between- and within-condition variance of replicate means (e.g. 5 conditions x 10 seeds)."""
from __future__ import annotations

from . import cellmath
from .function import function


def _between_within(icc: bool):
    def evaluate(call, p):
        between, within = call.kwarg("between").text, call.kwarg("within").text
        cells = p.cells(call.args[0], by_override=(between, within))
        p.record(cells)
        return lambda ext: cellmath.between_within(cells, ext, icc=icc)
    return evaluate


_KW = {"between": "column", "within": "column"}
FUNCTIONS = [
    function("variance_ratio", 1, "statistic",
             "Variance between the `between` groups over variance within them (across `within`).",
             _between_within(False), kwargs=_KW, required=("between", "within")),
    function("icc1", 1, "statistic",
             "Intraclass correlation ICC(1) of `between` groups, replicated across `within`.",
             _between_within(True), kwargs=_KW, required=("between", "within")),
]
