"""Intervals for a measure: scipy's bootstrap over the declared resampling unit,
or Fisher's z for a single correlation.

The bootstrap resamples *units* (items, prompts, seeds, UIDs, conditions) with
replacement, never rows: the prompts of one item move together. scipy.stats.bootstrap
draws unit indices; each batch of resamples becomes a matrix of unit multiplicities
that PreparedMeasure evaluates in one go. BCa needs the jackknife too (leave one
unit out); scipy asks for it through the same statistic.

The bootstrap distribution also gives a one-sided p-value for the threshold:
the share of resamples on the wrong side of it, (1 + k) / (B + 1).
"""
from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from specc.compiler.measure_ast import Call, Filtered
from specc.measures import MEASURE_FUNCTIONS
from specc.measures.cellmath import join
from specc.measures.correlations import FISHER, fisher_z_interval

from .evaluate import PreparedMeasure
from .result import Interval

_CELLS_PER_BATCH = 20_000_000   # bounds memory: resamples per statistic call x cells
# Below this many units a bootstrap interval is too narrow to decide on (with 3 seeds the
# 97.5th percentile is just the largest seed's value): no interval, so inconclusive.
MIN_UNITS = 8


@dataclass
class BootstrapOutcome:
    interval: Interval | None
    distribution: np.ndarray | None     # the B resampled estimates
    note: str | None = None             # why the interval is missing or fell back


def hypothesis_seed(spec_seed: int, hypothesis: str) -> int:
    """Each hypothesis its own stream, fixed by the spec: same spec, same interval."""
    digest = hashlib.sha256(f"{spec_seed}:{hypothesis}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def bootstrap(prepared: PreparedMeasure, method: str, level: float, n_resamples: int,
              seed: int) -> BootstrapOutcome:
    U = prepared.n_units
    unit = prepared.units.name
    if U < MIN_UNITS:
        return BootstrapOutcome(None, None, f"only {U} distinct {unit} value(s) in the tables: a "
                                f"bootstrap needs at least {MIN_UNITS} units to give an honest interval")
    cells = max(1, sum(len(c.cell_unit) + len(c.row_unit) for _, args in prepared.calls for c in args))
    batch = int(max(1, min(n_resamples, _CELLS_PER_BATCH // cells)))

    def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = np.asarray(idx)
        flat = idx.reshape(-1, idx.shape[-1])
        B = flat.shape[0]
        # Multiplicities of each unit per resample, plus the trailing column of ones
        # for rows that are not resampled (see PreparedMeasure.evaluate).
        offsets = (np.arange(B)[:, None] * (U + 1) + flat).ravel()
        ext = np.bincount(offsets, minlength=B * (U + 1)).reshape(B, U + 1).astype(float)
        ext[:, U] = 1.0
        return prepared.evaluate_extended(ext).reshape(idx.shape[:-1])

    scipy_method = {"bca": "BCa", "percentile": "percentile", "basic": "basic"}[method]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # degenerate distributions are reported below
        res = stats.bootstrap((np.arange(U),), statistic, vectorized=True, n_resamples=n_resamples,
                              batch=batch, confidence_level=level, method=scipy_method,
                              rng=np.random.default_rng(seed))
    dist = np.asarray(res.bootstrap_distribution)
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    note = None
    undefined = int(np.isnan(dist).sum())
    if undefined:
        note = f"{undefined} of {n_resamples} resamples gave no value (e.g. a constant column)"
        return BootstrapOutcome(None, dist, note)
    if not (math.isfinite(low) and math.isfinite(high)):
        if np.ptp(dist) == 0:  # every resample equal: the interval is that point
            low = high = float(dist[0])
            note = "every resample gave the same value"
        else:
            hint = ("; the measure takes few values (a key position such as argmax or "
                    "first_reaching): declare interval: {method: percentile}"
                    if method == "bca" and len(np.unique(dist)) <= 20 else "")
            return BootstrapOutcome(None, dist, f"scipy's {scipy_method} interval is undefined{hint}")
    return BootstrapOutcome(Interval(low, high, method, level, unit, U, n_resamples), dist, note)


def bootstrap_p(dist: np.ndarray, expect) -> float:
    """One-sided p for "the measure is on the expected side": the share of resamples on
    the other side. `between` takes the larger of its two one-sided p's (TOST)."""
    B = len(dist)

    def share(wrong) -> float:
        return float((1 + np.count_nonzero(wrong)) / (B + 1))
    c, t = expect.comparator, expect.threshold
    if c == ">":
        return share(dist <= t)
    if c == ">=":
        return share(dist < t)
    if c == "<":
        return share(dist >= t)
    if c == "<=":
        return share(dist > t)
    if c == "between":
        return max(share(dist <= t), share(dist >= expect.upper))
    # == / !=: a two-sided test of "the measure equals the threshold"
    return min(1.0, 2 * min(share(dist <= t), share(dist >= t)))


# -- Fisher's z -----------------------------------------------------------------------

def correlation_call(prepared: PreparedMeasure) -> Call | None:
    """The measure's one correlation call, when the measure is exactly that."""
    expr = prepared.measure.expr
    while isinstance(expr, Filtered):
        expr = expr.expr
    if isinstance(expr, Call) and "fisher_z" in MEASURE_FUNCTIONS.get(expr.func.text).intervals:
        return expr
    return None


def fisher_z(prepared: PreparedMeasure, level: float, expect) -> tuple[Interval | None, float | None, str | None]:
    call = correlation_call(prepared)
    if call is None:
        return None, None, "fisher_z needs a measure that is one pearson/spearman/kendall call"
    a, b = prepared.calls[0][1]
    n = len(join(a, b, call.func.text)[0]) if call.args[0].by else a.n_rows
    scale, lost = FISHER[call.func.text]
    if n <= lost:
        return None, None, f"Fisher's z needs more than {lost} pairs, got {n}"
    r = prepared.estimate()
    se = math.sqrt(scale / (n - lost))
    z = math.atanh(max(min(r, 1 - 1e-12), -1 + 1e-12))
    found = fisher_z_interval(r, n, call.func.text, level)
    if found is None:
        return None, None, "the correlation is undefined (a constant column)"
    interval = Interval(*found, "fisher_z", level, "pair", n, None)
    zt = math.atanh(max(min(expect.threshold, 1 - 1e-12), -1 + 1e-12))
    c = expect.comparator
    if c in (">", ">="):
        p = stats.norm.sf((z - zt) / se)
    elif c in ("<", "<="):
        p = stats.norm.cdf((z - zt) / se)
    elif c == "between":
        zu = math.atanh(max(min(expect.upper, 1 - 1e-12), -1 + 1e-12))
        p = max(stats.norm.sf((z - zt) / se), stats.norm.cdf((z - zu) / se))
    else:
        p = 2 * stats.norm.sf(abs(z - zt) / se)
    return interval, float(p), None
