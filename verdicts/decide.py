"""From an estimate, an interval and a p-value to a verdict — and the rule, in words.

The rule (written next to every verdict by specc.compiler.rules.decision_rule):

* supported  — the interval lies wholly on the expected side of the threshold, and
  the p-value (the declared test's, else the bootstrap's), corrected across the
  family, is below alpha;
* refuted    — the interval lies wholly on the other side;
* inconclusive — anything else: the interval straddles the threshold, the corrected
  p is not small enough, or a stage the measure reads failed or was skipped.

Without an interval (`method: none`) a declared test decides alone: supported when
its corrected p < alpha and the estimate is on the expected side, refuted when the
test in the opposite direction is significant (the compiler makes sure the test's
direction and null are the hypothesis's). With neither — exploratory hypotheses
only — the point estimate decides and the rule says so.

`==` can only be refuted (an interval excluding the threshold); `!=` only supported.
Equivalence is `between a and b`: supported when the interval lies inside [a, b].

Family: every hypothesis the spec declares confirmatory, corrected together with
statsmodels' multipletests (holm, bonferroni, fdr_bh); one not decided yet counts
with p = 1 (see judge.py). Exploratory hypotheses use their raw p and are never
part of a family.
"""
from __future__ import annotations

from statsmodels.stats.multitest import multipletests

from specc.compiler.thresholds import Expect

from .result import INCONCLUSIVE, REFUTED, SUPPORTED, Interval

CORRECTIONS = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh"}


def correct(pvalues: list[float], method: str) -> list[float]:
    if method == "none" or not pvalues:
        return list(pvalues)
    return [float(p) for p in multipletests(pvalues, method=CORRECTIONS[method])[1]]


def interval_side(interval: Interval, expect: Expect) -> str:
    """'expected', 'other' or 'straddles': where the interval lies against the threshold."""
    lo, hi, c, t = interval.low, interval.high, expect.comparator, expect.threshold
    if c == "between":
        if expect.threshold <= lo and hi <= expect.upper:
            return "expected"
        return "other" if hi < expect.threshold or lo > expect.upper else "straddles"
    if c == "==":
        return "other" if hi < t or lo > t else "straddles"
    if c == "!=":
        return "expected" if hi < t or lo > t else "straddles"
    holds_lo, holds_hi = expect.holds(lo), expect.holds(hi)
    if holds_lo and holds_hi:
        return "expected"
    return "other" if not holds_lo and not holds_hi else "straddles"


def verdict(expect: Expect, estimate: float, interval: Interval | None, p: float | None,
            p_reverse: float | None, alpha: float) -> str:
    # Whatever else holds, nothing is supported by an estimate on the wrong side.
    on_side = expect.comparator == "==" or expect.holds(estimate)
    if interval is not None:
        side = interval_side(interval, expect)
        if side == "other":
            return REFUTED
        if side == "expected" and on_side and (p is None or p < alpha):
            return SUPPORTED
        return INCONCLUSIVE
    if p is not None:
        if p < alpha and on_side:
            return SUPPORTED
        return REFUTED if p_reverse is not None and p_reverse < alpha else INCONCLUSIVE
    return SUPPORTED if expect.holds(estimate) else REFUTED   # exploratory only (the compiler)
