"""Intervals are scipy's: the same draws give the same bounds as scipy.stats.bootstrap
on unit-level data; Fisher z is the textbook formula."""
import math

import numpy as np
import pytest
from scipy import stats

from specc.compiler.measure import parse_measure
from specc.compiler.thresholds import parse_expect
from specc.verdicts import PreparedMeasure
from specc.verdicts.intervals import bootstrap, bootstrap_p, fisher_z


@pytest.mark.parametrize("method", ["bca", "percentile", "basic"])
def test_bootstrap_over_items_matches_scipy(tables, frames, method):
    p = PreparedMeasure(parse_measure("mean(score.correct)"), tables, "item")
    got = bootstrap(p, method, 0.9, 2000, seed=7)
    per_item = frames["score"].groupby("item").correct.agg(["sum", "count"]).loc[list(p.units.index)]
    ref = stats.bootstrap((per_item["sum"].to_numpy(), per_item["count"].to_numpy()),
                          lambda s, c, axis: s.sum(axis) / c.sum(axis), paired=True, vectorized=True,
                          n_resamples=2000, confidence_level=0.9, method=method,
                          rng=np.random.default_rng(7))
    assert (got.interval.low, got.interval.high) == pytest.approx(
        (ref.confidence_interval.low, ref.confidence_interval.high))
    assert got.interval.n_units == 40 and got.interval.unit == "item"


def test_same_seed_same_interval(tables):
    p = PreparedMeasure(parse_measure("spearman(score.correct by UID, humans.total_mean by Condition)"),
                        tables, "UID")
    a, b = bootstrap(p, "bca", 0.95, 1000, 3), bootstrap(p, "bca", 0.95, 1000, 3)
    assert a.interval == b.interval


def test_too_few_units_give_no_interval(tables):
    """3 seeds: the percentile interval would be the range of three means, far too narrow."""
    p = PreparedMeasure(parse_measure("mean(score.correct)"), tables, "seed")
    out = bootstrap(p, "percentile", 0.95, 1000, 0)
    assert out.interval is None and "at least 8 units" in out.note


def test_bootstrap_p_counts_the_wrong_side():
    dist = np.array([0.1, 0.4, 0.6, 0.7, 0.9])
    assert bootstrap_p(dist, parse_expect("> 0.5")) == pytest.approx((1 + 2) / 6)
    assert bootstrap_p(dist, parse_expect("< 0.5")) == pytest.approx((1 + 3) / 6)
    assert bootstrap_p(dist, parse_expect("between 0.2 and 0.8")) == pytest.approx((1 + 1) / 6)


def test_fisher_z_pearson(tables, frames):
    p = PreparedMeasure(parse_measure("pearson(score.correct by UID, humans.total_mean by Condition)"),
                        tables, "UID")
    interval, pval, note = fisher_z(p, 0.95, parse_expect("> 0"))
    r, n = p.estimate(), 10
    se = 1 / math.sqrt(n - 3)
    z = math.atanh(r)
    assert (interval.low, interval.high) == pytest.approx((math.tanh(z - 1.959964 * se), math.tanh(z + 1.959964 * se)), rel=1e-5)
    assert pval == pytest.approx(stats.norm.sf(z / se))
    assert note is None and interval.n_units == n
