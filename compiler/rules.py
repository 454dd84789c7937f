"""A hypothesis's decision rule in words: the same sentence in the pre-registration
and next to each verdict in the results, so a reader can check one against the other.
specc.verdicts.decide implements exactly this:

    supported when the 95% BCa interval over item lies wholly above 0.5 and the
    Holm-corrected bootstrap p < 0.05 (greater); refuted when it lies wholly at or
    below 0.5; otherwise inconclusive

The p is the declared test's, else the bootstrap's (the share of resamples on the
wrong side of the threshold) or Fisher z's. Exploratory hypotheses are uncorrected.
"""
from __future__ import annotations

from .thresholds import ALTERNATIVES as ALTERNATIVE

INTERVALS = {"bca": "BCa", "percentile": "percentile", "basic": "basic", "fisher_z": "Fisher-z"}
CORRECTIONS = {"holm": "Holm-corrected ", "bonferroni": "Bonferroni-corrected ",
               "bh": "BH-adjusted ", "none": ""}
# comparator -> (where the interval lies when supported, where when refuted)
SIDES = {">": ("above {t}", "at or below {t}"), ">=": ("at or above {t}", "below {t}"),
         "<": ("below {t}", "at or above {t}"), "<=": ("at or below {t}", "above {t}"),
         "between": ("within [{t}, {u}]", "outside [{t}, {u}]")}


def decision_rule(expect, interval, test, decision, kind: str) -> str:
    """`expect`: thresholds.Expect; `interval`, `test`, `decision`: the spec_model ones
    (the interval's unit resolved); `kind`: confirmatory (corrected) or exploratory."""
    t = _g(expect.threshold)
    c = expect.comparator
    p = _p_clause(test, interval, decision, c, kind)
    iv = interval
    if iv.method == "none":
        if test is not None and getattr(test, "null", None) is not None and expect.threshold != test.null:
            return (f"supported when the estimate is {expect} and {p}; refuted when the test in "
                    "the opposite direction is significant; otherwise inconclusive")
        if test is not None:
            return (f"supported when {p}; refuted when the test in the opposite direction is "
                    "significant; otherwise inconclusive")
        return (f"supported when the estimate is {expect}; refuted otherwise "
                "(a point estimate: no interval or test declared)")
    over = "" if iv.method == "fisher_z" else f" over {iv.unit}"
    interval = f"the {_level(iv.level)} {INTERVALS[iv.method]} interval{over}"
    if c == "==":
        return (f"refuted when {interval} excludes {t}; otherwise inconclusive "
                "(equality cannot be shown: write between a and b)")
    if c == "!=":
        return f"supported when {interval} excludes {t} and {p}; otherwise inconclusive"
    u = _g(expect.upper) if expect.upper is not None else None
    yes, no = (s.format(t=t, u=u) for s in SIDES[c])
    return (f"supported when {interval} lies wholly {yes} and {p}; refuted when it lies "
            f"wholly {no}; otherwise inconclusive")


def _p_clause(test, interval, decision, comparator: str, kind: str) -> str:
    alpha = test.alpha if test is not None and test.alpha is not None else decision.alpha
    corrected = CORRECTIONS[decision.correction] if kind == "confirmatory" else ""
    if test is not None:
        alternative = test.alternative or ALTERNATIVE.get(comparator, "two-sided")
        against = f" against {_g(test.null)}" if getattr(test, "null", None) is not None else ""
        return f"the {corrected}p < {alpha:g} ({test.method} test{against}, {alternative})"
    source = "Fisher-z" if interval.method == "fisher_z" else "bootstrap"
    alternative = ALTERNATIVE.get(comparator, "both bounds" if comparator == "between" else "two-sided")
    return f"the {corrected}{source} p < {alpha:g} ({alternative})"


def _g(value: float) -> str:
    return f"{value:g}"


def _level(level: float) -> str:
    return f"{level * 100:.1f}".rstrip("0").rstrip(".") + "%"
