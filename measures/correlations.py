"""Correlations of two columns, joined on their `by` keys in order (without `by`: row by
row, so both must read the same rows). A declared test is against no association;
Fisher's z gives a normal-theory interval of one correlation."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from . import cellmath, weighted
from .function import BOOTSTRAP, MeasureEvalError, function

# Standard errors of atanh(r) for n pairs: Pearson 1/sqrt(n-3); Spearman
# sqrt(1.06/(n-3)) and Kendall sqrt(0.437/(n-4)) (Fieller, Hartley & Pearson 1957).
FISHER = {"pearson": (1.0, 3), "spearman": (1.06, 3), "kendall": (0.437, 4)}


def fisher_z_interval(r: float, n: int, method: str, level: float) -> tuple[float, float] | None:
    """Normal-theory interval of a correlation on the atanh scale (None: too few pairs).
    Shared by the verdicts and analyse.correlate, so one interval has one formula."""
    scale, lost = FISHER[method]
    if n <= lost or not np.isfinite(r):
        return None
    se = math.sqrt(scale / (n - lost))
    z = math.atanh(max(min(r, 1 - 1e-12), -1 + 1e-12))
    crit = stats.norm.ppf(0.5 + level / 2)
    return math.tanh(z - crit * se), math.tanh(z + crit * se)


_STATS = {"pearson": weighted.pearson, "spearman": weighted.spearman, "kendall": weighted.kendall}


def _correlation(name: str):
    stat = _STATS[name]

    def evaluate(call, p):
        a, b = (p.cells(arg) for arg in call.args)
        if not call.args[0].by:  # row by row: both arguments must be the same rows
            if a.mask_key != b.mask_key:
                raise MeasureEvalError(f"{name}({a.label}, {b.label}) without 'by' pairs rows "
                                       "one to one, so both must read the same table and filter; "
                                       "join different tables with by keys")
            a, b = (p.cells(arg, by_row=True) for arg in call.args)
        p.record(a, b)
        pairs = cellmath.join(a, b, name)
        return lambda ext: stat(*cellmath.paired(a, b, pairs, ext))
    return evaluate


FUNCTIONS = [
    function(name, 2, "statistic", doc, _correlation(name), paired=True, sample="association",
             tests=("t", "permutation"), intervals=BOOTSTRAP + ("fisher_z",), null_is_zero=True,
             summary="correlation")
    for name, doc in [
        ("pearson", "Pearson correlation r of the two columns, joined on their `by` keys."),
        ("spearman", "Spearman rank correlation rho of the two columns, joined on their `by` keys."),
        ("kendall", "Kendall rank correlation tau of the two columns, joined on their `by` keys."),
    ]
]
