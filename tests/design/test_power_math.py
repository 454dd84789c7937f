"""Power and minimal detectable effects: analytic forms against statsmodels and closed
forms, simulation against the analytic value within Monte Carlo error."""
from __future__ import annotations

import math

import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower

from specc.design.power import (Assumption, Rule, analyse, cohens_h, correlation_mde, correlation_power,
                                simulate)


def mc_tolerance(p: float, n_sims: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / n_sims)      # 4 standard errors: a test that fails means a bug


def test_one_sample_t_power_and_mde_equal_statsmodels():
    rule = Rule("mean", n=24, threshold=0.5, side="larger", alpha=0.05, method="t", level=None)
    result = analyse(rule, Assumption(value=0.8, sd=0.6))
    assert result.power == pytest.approx(TTestPower().power(0.5, 24, 0.05, alternative="larger"))
    d = TTestPower().solve_power(nobs=24, alpha=0.05, power=0.8, alternative="larger")
    assert result.mde == pytest.approx(0.5 + d * 0.6) and result.scale == "value"
    # No sd assumed: the effect is standardised.
    bare = analyse(rule)
    assert bare.mde == pytest.approx(d) and bare.scale == "sd" and bare.power is None


def test_interval_and_p_both_required_means_the_stricter_level():
    rule = Rule("mean", n=30, threshold=0.0, side="larger", alpha=0.05, method="bca", level=0.95)
    assert rule.alpha_eff == pytest.approx(0.025)
    assert analyse(rule, Assumption(0.4, 1.0)).power == pytest.approx(
        TTestPower().power(0.4, 30, 0.025, alternative="larger"))
    smaller = Rule("mean", n=30, threshold=0.0, side="smaller", alpha=0.01, method="t", level=0.9)
    assert smaller.alpha_eff == pytest.approx(0.01)
    assert analyse(smaller, Assumption(-0.4, 1.0)).power == pytest.approx(
        TTestPower().power(0.4, 30, 0.01, alternative="larger"))


def test_two_sample_power_equals_statsmodels():
    rule = Rule("two_sample", n=20, n2=40, threshold=0.0, side="two-sided", alpha=0.05, level=None)
    got = analyse(rule, Assumption(value=0.5, sd=1.0)).power
    assert got == pytest.approx(TTestIndPower().power(0.5, 20, 0.05, ratio=2.0, alternative="two-sided"))


def test_proportion_power_equals_statsmodels_cohens_h():
    rule = Rule("proportion", n=300, threshold=0.41, side="larger", alpha=0.05, method="t", level=None)
    got = analyse(rule, Assumption(value=0.5))
    h = cohens_h(0.5, 0.41)
    assert got.power == pytest.approx(NormalIndPower().power(h, 300, 0.05, ratio=0, alternative="larger"))
    # At the minimal detectable proportion the power is 80%.
    assert analyse(rule, Assumption(value=got.mde)).power == pytest.approx(0.8, abs=1e-6)


def test_correlation_fisher_z_closed_form():
    rule = Rule("correlation", n=40, threshold=0.3, side="larger", alpha=0.05, method="fisher_z", level=None)
    se = 1 / math.sqrt(37)
    expected = stats.norm.sf(stats.norm.ppf(0.95) - (math.atanh(0.6) - math.atanh(0.3)) / se)
    assert correlation_power(rule, 0.6) == pytest.approx(expected)
    assert correlation_power(rule, correlation_mde(rule)) == pytest.approx(0.8)
    spearman = Rule("correlation", n=40, threshold=0.3, side="larger", alpha=0.05, correlation="spearman",
                    level=None)
    assert correlation_mde(spearman) > correlation_mde(rule)        # Fieller's 1.06 widens it


def test_mde_falls_as_units_grow():
    for family, threshold in (("mean", 0.0), ("proportion", 0.5), ("correlation", 0.5)):
        mdes = [analyse(Rule(family, n=n, threshold=threshold, side="larger", alpha=0.05, level=None)).mde
                for n in (10, 20, 40, 80, 160)]
        assert all(a > b for a, b in zip(mdes, mdes[1:])), (family, mdes)


def test_five_point_correlation_at_half_needs_a_near_perfect_effect():
    rule = Rule("correlation", n=5, threshold=0.5, side="larger", alpha=0.05, method="t", level=None)
    result = analyse(rule, Assumption(value=0.7))
    assert result.mde > 0.95 and result.power < 0.2
    assert analyse(Rule("correlation", n=3, threshold=0.5, side="larger", alpha=0.05, level=None)).mde is None


@pytest.mark.parametrize("family,assume", [("mean", Assumption(0.45, 1.0)), ("proportion", Assumption(0.62))])
def test_simulated_t_power_agrees_with_analytic(family, assume):
    n_sims = 4000
    threshold = 0.0 if family == "mean" else 0.5
    rule = Rule(family, n=40 if family == "mean" else 150, threshold=threshold, side="larger", alpha=0.05,
                method="t", level=None)
    analytic = analyse(rule, assume).power
    simulated = simulate(rule, assume, n_sims=n_sims, seed=7)
    assert abs(simulated - analytic) < mc_tolerance(analytic, n_sims), (simulated, analytic)


def test_simulated_correlation_agrees_with_fisher_z():
    n_sims = 3000
    rule = Rule("correlation", n=60, threshold=0.2, side="larger", alpha=0.05, level=None)
    analytic = correlation_power(rule, 0.5)
    simulated = simulate(rule, Assumption(0.5), n_sims=n_sims, seed=3)
    assert abs(simulated - analytic) < mc_tolerance(analytic, n_sims)


def test_declared_wilcoxon_and_permutation_are_simulated_and_seeded():
    for method in ("wilcoxon", "permutation"):
        rule = Rule("mean", n=25, threshold=0.0, side="larger", alpha=0.05, method=method, level=None)
        first = analyse(rule, Assumption(0.5, 1.0), seed=11, n_sims=1000)
        again = analyse(rule, Assumption(0.5, 1.0), seed=11, n_sims=1000)
        assert "simulated" in first.how and first.power == again.power
        t_power = TTestPower().power(0.5, 25, 0.05, alternative="larger")
        # Wilcoxon's efficiency is ~0.95 of t under normality; the permutation test ~1.
        assert abs(first.power - t_power) < 0.08, (method, first.power, t_power)


def test_simulated_power_at_the_null_is_alpha():
    rule = Rule("mean", n=30, threshold=0.0, side="larger", alpha=0.05, method="t", level=None)
    assert abs(simulate(rule, Assumption(0.0, 1.0), n_sims=4000, seed=5) - 0.05) < mc_tolerance(0.05, 4000)
