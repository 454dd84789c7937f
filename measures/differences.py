"""Differences: two arms (diff_means, cohens_d), or one rate against chance."""
from __future__ import annotations

from . import cellmath
from .function import function

TWO_SAMPLE_TESTS = ("t", "wilcoxon", "permutation")


def _two(combine):
    def evaluate(call, p):
        a, b = (p.cells(arg) for arg in call.args)
        p.record(a, b)
        return lambda ext: combine(cellmath.moments(a, ext), cellmath.moments(b, ext))
    return evaluate


def _accuracy_vs_chance(call, p):
    cells = p.cells(call.args[0])
    p.record(cells)
    chance = float(call.kwarg("chance").value)
    return lambda ext: cellmath.moments(cells, ext)[1] - chance


FUNCTIONS = [
    function("diff_means", 2, "statistic", "Mean of the first column minus mean of the second.",
             _two(lambda a, b: a[1] - b[1]), sample="two", tests=TWO_SAMPLE_TESTS, summary="difference"),
    function("cohens_d", 2, "statistic",
             "Cohen's d: difference of the means over the pooled standard deviation.",
             _two(cellmath.cohens_d), sample="two", tests=TWO_SAMPLE_TESTS, null_is_zero=True,
             summary="difference"),
    function("accuracy_vs_chance", 1, "statistic",
             "Mean accuracy minus the chance rate `chance` (e.g. 0.25 for 4 options).",
             _accuracy_vs_chance, kwargs={"chance": "number"}, required=("chance",),
             sample="one", tests=("t", "wilcoxon", "binomial", "permutation"),
             # the test's observations are accuracies: its null is the threshold plus chance
             null=lambda call, threshold: threshold + float(call.kwarg("chance").value),
             summary="shifted"),
]
