"""A p-value as a measure (exploratory hypotheses): it has no bootstrap interval."""
from __future__ import annotations

import numpy as np

from .function import MeasureEvalError, function


def _permutation_p(call, p):
    from scipy.stats import permutation_test
    a, b = (p.cells(arg) for arg in call.args)
    p.record(a, b)
    given = call.kwarg("n")
    n = int(given.value) if given is not None else 10_000

    def run(ext: np.ndarray) -> np.ndarray:
        if ext.shape[0] != 1 or not np.all(ext == 1):
            raise MeasureEvalError("permutation_p is a p-value: it has no bootstrap interval "
                                   "(use interval: {method: none})")
        res = permutation_test((a.values, b.values), lambda x, y, axis: x.mean(axis) - y.mean(axis),
                               n_resamples=n, vectorized=True, rng=np.random.default_rng(0))
        return np.array([res.pvalue])
    return run


FUNCTIONS = [
    function("permutation_p", 2, "statistic",
             "Two-sided permutation-test p-value for a difference of means (`n` permutations).",
             _permutation_p, kwargs={"n": "number"}, intervals=(), no_interval="is a p-value"),
]
