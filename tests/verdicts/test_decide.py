"""The decision rule: each of the three outcomes, comparators, and the correction."""
import pytest
from statsmodels.stats.multitest import multipletests

from specc.compiler.thresholds import parse_expect
from specc.verdicts import INCONCLUSIVE, REFUTED, SUPPORTED, Interval
from specc.verdicts.decide import correct, interval_side, verdict


def iv(lo, hi):
    return Interval(lo, hi, "bca", 0.95, "item", 100, 1000)


@pytest.mark.parametrize("expect, lo, hi, p, outcome", [
    ("> 0.5", 0.55, 0.7, 0.001, SUPPORTED),
    ("> 0.5", 0.30, 0.45, 0.9, REFUTED),
    ("> 0.5", 0.45, 0.60, 0.2, INCONCLUSIVE),
    ("> 0.5", 0.55, 0.70, 0.2, INCONCLUSIVE),     # interval clears, corrected p does not
    (">= 0.3", 0.3, 0.5, 0.01, SUPPORTED),         # >= includes the threshold
    ("> 0.3", 0.3, 0.5, 0.01, INCONCLUSIVE),
    ("< 0", -0.5, -0.1, 0.01, SUPPORTED),
    ("< 0", 0.0, 0.2, 0.9, REFUTED),
    ("between 0.2 and 0.4", 0.25, 0.35, 0.01, SUPPORTED),
    ("between 0.2 and 0.4", 0.5, 0.6, 0.9, REFUTED),
    ("== 0", 0.1, 0.2, None, REFUTED),
    ("== 0", -0.1, 0.2, None, INCONCLUSIVE),
    ("!= 0", 0.1, 0.2, None, SUPPORTED),
])
def test_interval_rule(expect, lo, hi, p, outcome):
    assert verdict(parse_expect(expect), (lo + hi) / 2, iv(lo, hi), p, None, 0.05) == outcome


def test_test_only_rule():
    e = parse_expect("> 0")
    assert verdict(e, 0.3, None, 0.01, 0.99, 0.05) == SUPPORTED
    assert verdict(e, -0.3, None, 0.99, 0.01, 0.05) == REFUTED
    assert verdict(e, 0.1, None, 0.2, 0.8, 0.05) == INCONCLUSIVE


def test_point_estimate_only():
    assert verdict(parse_expect("> 0"), 0.3, None, None, None, 0.05) == SUPPORTED
    assert verdict(parse_expect("> 0"), -0.3, None, None, None, 0.05) == REFUTED


@pytest.mark.parametrize("method, sm", [("holm", "holm"), ("bonferroni", "bonferroni"), ("bh", "fdr_bh")])
def test_correction_is_statsmodels(method, sm):
    ps = [0.01, 0.04, 0.03, 0.2]
    assert correct(ps, method) == pytest.approx(list(multipletests(ps, method=sm)[1]))
    assert correct(ps, "none") == ps


def test_holm_turns_a_lone_significant_p_inconclusive():
    """0.03 < 0.05 alone; with Holm over three p's it becomes 0.06 (the second-smallest x 2)."""
    ps = correct([0.01, 0.03, 0.5], "holm")
    assert ps[1] == pytest.approx(0.06)
    assert verdict(parse_expect("> 0"), 0.2, iv(0.1, 0.3), ps[1], None, 0.05) == INCONCLUSIVE


def test_straddles():
    assert interval_side(iv(0.4, 0.6), parse_expect("> 0.5")) == "straddles"


def test_never_supported_with_the_estimate_on_the_wrong_side():
    """A significant test of the wrong sign (or a two-sided one) supports nothing."""
    e = parse_expect("> 0")
    assert verdict(e, -0.4, None, 1e-6, None, 0.05) == INCONCLUSIVE
    assert verdict(e, -0.4, iv(0.1, 0.3), 1e-6, None, 0.05) == INCONCLUSIVE
