"""Declared significance tests (`test: {method: permutation|t|wilcoxon|binomial}`), all scipy.

A test needs a measure that is one call (under an optional `where`); what it tests
depends on that call:

  mean(a) / accuracy_vs_chance(a, chance=c)   H0: mean = threshold (+ c)
      t: one-sample t · wilcoxon: signed-rank · binomial: exact, rows of 0/1
      permutation: sign-flip of (x - threshold)
  diff_means(a, b)    H0: mean(a) - mean(b) = threshold   (cohens_d: H0 means equal)
      paired when both arguments have the resampling unit and the same units
      (differences of unit means); otherwise two samples:
      t: Welch · wilcoxon: Mann-Whitney U · permutation: of the group labels
  pearson/spearman/kendall(a, b)   H0: no association
      t: scipy's pearsonr/spearmanr/kendalltau p · permutation: of the pairings

Observations are unit means when the argument has the resampling unit (the prompts
of one item are one observation), group means with `by`, rows otherwise.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from specc.compiler.measure_ast import Call, Filtered
from specc.measures import MEASURE_FUNCTIONS
from specc.measures.cellmath import join, observations

from .cells import MeasureEvalError
from .evaluate import PreparedMeasure
from .result import TestResult


def reverse(alternative: str) -> str:
    return {"greater": "less", "less": "greater"}.get(alternative, alternative)


def single_call(measure) -> Call | None:
    expr = measure.expr
    while isinstance(expr, Filtered):
        expr = expr.expr
    return expr if isinstance(expr, Call) else None


def run_test(prepared: PreparedMeasure, method: str, alternative: str, expect,
             n_permutations: int, seed: int, alpha: float) -> TestResult:
    """`expect`: the hypothesis's thresholds.Expect. Which family of tests applies, and the
    null it tests, is the measure function's (`sample`, `tests`, `null_value`)."""
    call = single_call(prepared.measure)
    fn = MEASURE_FUNCTIONS.get(call.func.text) if call is not None else None
    if fn is None or method not in fn.tests:
        able = [n for n, f in MEASURE_FUNCTIONS.items() if method in f.tests]
        raise MeasureEvalError(f"a {method} test needs a measure that is one call of {', '.join(able)}")
    cells = prepared.calls[0][1]
    rng = np.random.default_rng(seed)
    null = fn.null_value(call, expect.threshold)
    if fn.sample == "one":
        stat, p = _one_sample(method, cells[0], null, alternative, n_permutations, rng)
        return TestResult(method, alternative, f"mean = {null:g}", stat, p, alpha=alpha)
    if fn.sample == "two":
        stat, p, how = _two_sample(method, cells[0], cells[1], null, alternative, n_permutations, rng)
        shown = "equal means" if fn.null_is_zero else f"mean difference = {null:g}"
        return TestResult(method, alternative, f"{shown} ({how})", stat, p, alpha=alpha)
    stat, p = _association(method, fn.name, prepared, call, alternative, n_permutations, rng)
    return TestResult(method, alternative, "no association", stat, p, alpha=alpha)


def _mean_stat(x, axis=-1):
    return np.mean(x, axis=axis)


def _one_sample(method, cells, null, alternative, n_perm, rng):
    if method == "binomial":
        values = cells.values
        if not np.isin(values, (0.0, 1.0)).all():
            raise MeasureEvalError(f"a binomial test counts successes: {cells.label} must be 0/1 "
                                   "(or true/false)")
        if not 0 < null < 1:
            raise MeasureEvalError(f"a binomial test needs a rate between 0 and 1, got {null:g}")
        if (cells.row_unit >= 0).any() and len(np.unique(cells.row_unit)) < len(values):
            raise MeasureEvalError(
                f"a binomial test needs independent trials: {cells.label} has {len(values)} rows "
                f"but only {len(np.unique(cells.row_unit))} units (rows repeat a unit across "
                "conditions or prompts); use a t test over unit means")
        k = int(values.sum())
        res = stats.binomtest(k, len(values), null, alternative=alternative)
        return k / len(values), float(res.pvalue)
    x, _ = observations(cells)
    if method == "t":
        res = stats.ttest_1samp(x, null, alternative=alternative)
        return float(res.statistic), float(res.pvalue)
    if method == "wilcoxon":
        res = stats.wilcoxon(x - null, alternative=alternative)
        return float(res.statistic), float(res.pvalue)
    res = stats.permutation_test((x - null,), _mean_stat, permutation_type="samples",
                                 n_resamples=n_perm, alternative=alternative, vectorized=True, rng=rng)
    return float(res.statistic), float(res.pvalue)


def _two_sample(method, a, b, shift, alternative, n_perm, rng):
    xa, ua = observations(a)
    xb, ub = observations(b)
    paired = ua is not None and ub is not None and np.array_equal(np.sort(ua), np.sort(ub))
    if method == "binomial":
        raise MeasureEvalError("a binomial test compares one rate with a threshold; "
                               "for two samples use t, wilcoxon or permutation")
    if paired:
        d = xa[np.argsort(ua)] - xb[np.argsort(ub)] - shift
        if method == "t":
            res = stats.ttest_1samp(d, 0.0, alternative=alternative)
        elif method == "wilcoxon":
            res = stats.wilcoxon(d, alternative=alternative)
        else:
            res = stats.permutation_test((d,), _mean_stat, permutation_type="samples",
                                         n_resamples=n_perm, alternative=alternative,
                                         vectorized=True, rng=rng)
        return float(res.statistic), float(res.pvalue), f"paired over {len(d)} units"
    xa = xa - shift
    if method == "t":
        res = stats.ttest_ind(xa, xb, equal_var=False, alternative=alternative)
    elif method == "wilcoxon":
        res = stats.mannwhitneyu(xa, xb, alternative=alternative)
    else:
        res = stats.permutation_test((xa, xb), lambda x, y, axis: x.mean(axis) - y.mean(axis),
                                     n_resamples=n_perm, alternative=alternative,
                                     vectorized=True, rng=rng)
    return float(res.statistic), float(res.pvalue), f"{len(xa)} vs {len(xb)} observations"


def _association(method, name, prepared, call, alternative, n_perm, rng):
    a, b = prepared.calls[0][1]
    if call.args[0].by:
        ia, ib = join(a, b, name)
        x, y = observations(a)[0][ia], observations(b)[0][ib]
    else:
        x, y = a.values, b.values
    if method not in ("t", "permutation"):
        raise MeasureEvalError(f"a {method} test does not apply to {name}; use t or permutation")
    if method == "t":
        fn = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}[name]
        res = fn(x, y, alternative=alternative)
        return float(res.statistic), float(res.pvalue)
    stat_fn = {"pearson": lambda u, v: stats.pearsonr(u, v).statistic,
               "spearman": lambda u, v: stats.spearmanr(u, v).statistic,
               "kendall": lambda u, v: stats.kendalltau(u, v).statistic}[name]
    # Only y is permuted against a fixed x: the same null (every pairing equally likely), but
    # scipy then counts n! distinct pairings, not n!^2, so for n <= 7 (5 conditions: 120) it
    # enumerates them all and the p-value is exact instead of a Monte Carlo draw.
    res = stats.permutation_test((y,), lambda v: stat_fn(x, v), permutation_type="pairings",
                                 n_resamples=n_perm, alternative=alternative, rng=rng)
    return float(res.statistic), float(res.pvalue)
