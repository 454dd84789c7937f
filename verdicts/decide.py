"""From an estimate, an interval and a p-value to a verdict — and the rule, in words.

The rule (written next to every verdict):

* supported  — the interval lies wholly on the expected side of the threshold, and
  the p-value (the declared test's, else the bootstrap's), corrected across the
  family, is below alpha;
* refuted    — the interval lies wholly on the other side;
* inconclusive — anything else: the interval straddles the threshold, the corrected
  p is not small enough, or a stage the measure reads failed or was skipped.

Without an interval (`method: none`) a declared test decides alone: supported when
its corrected p < alpha, refuted when the test in the opposite direction is
significant. With neither, the point estimate decides and the rule says so.

`==` can only be refuted (an interval excluding the threshold); `!=` only supported.
Equivalence is `between a and b`: supported when the interval lies inside [a, b].

Family: the confirmatory hypotheses decided in one phase (hypotheses gated on
others are decided in later phases, after the gate) are corrected together with
statsmodels' multipletests (holm, bonferroni, fdr_bh). Exploratory hypotheses use
their raw p and are never part of a family.
"""
from __future__ import annotations

from statsmodels.stats.multitest import multipletests

from specc.compiler.thresholds import Expect

from .result import INCONCLUSIVE, REFUTED, SUPPORTED, Interval

CORRECTIONS = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh"}
_CORRECTION_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "bh": "Benjamini-Hochberg",
                     "none": "uncorrected"}


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
    if interval is not None:
        side = interval_side(interval, expect)
        if side == "other":
            return REFUTED
        if side == "expected" and (p is None or p < alpha):
            return SUPPORTED
        return INCONCLUSIVE
    if p is not None:
        if p < alpha:
            return SUPPORTED
        return REFUTED if p_reverse is not None and p_reverse < alpha else INCONCLUSIVE
    return SUPPORTED if expect.holds(estimate) else REFUTED


def rule_text(expect: Expect, interval_method: str, level: float, unit: str, test: str | None,
              correction: str, alpha: float, in_family: bool) -> str:
    """The decision rule in words, e.g. 'supported when the 95% BCa interval over item
    lies wholly above 0.5 and the Holm-corrected bootstrap p < 0.05; ...'."""
    where = {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}
    other = {">": "at or below", ">=": "below", "<": "at or above", "<=": "above"}
    t = f"{expect.threshold:g}"
    corr = _CORRECTION_NAMES[correction] + "-corrected " if in_family and correction != "none" else ""
    p_kind = f"{test} test" if test else "bootstrap"
    if interval_method == "none":
        if test:
            return (f"supported when the {corr}{test} test p < {alpha:g}; refuted when the test in "
                    f"the opposite direction is significant; otherwise inconclusive")
        return (f"point estimate only (no interval or test declared): supported when it is "
                f"{expect}, otherwise refuted")
    name = {"bca": "BCa bootstrap", "percentile": "percentile bootstrap", "basic": "basic bootstrap",
            "fisher_z": "Fisher-z"}[interval_method]
    over = "" if interval_method == "fisher_z" else f" over {unit}"
    iv = f"the {level:.0%} {name} interval{over}"
    if interval_method == "fisher_z" and not test:
        p_kind = "Fisher-z"
    p_clause = f" and the {corr}{p_kind} p < {alpha:g}"
    c = expect.comparator
    if c == "between":
        u = f"{expect.upper:g}"
        return (f"supported when {iv} lies within [{t}, {u}]{p_clause}; refuted when it lies "
                f"wholly outside; otherwise inconclusive")
    if c == "==":
        return f"refuted when {iv} excludes {t}; otherwise inconclusive (equality cannot be shown)"
    if c == "!=":
        return f"supported when {iv} excludes {t}{p_clause}; otherwise inconclusive"
    return (f"supported when {iv} lies wholly {where[c]} {t}{p_clause}; refuted when it lies "
            f"wholly {other[c]} {t}; otherwise inconclusive")
