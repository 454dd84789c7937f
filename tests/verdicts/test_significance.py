"""Declared tests are scipy's tests on unit-level observations."""
import numpy as np
import pytest
from scipy import stats

from specc.compiler.measure import parse_measure
from specc.compiler.thresholds import parse_expect
from specc.verdicts import MeasureEvalError, PreparedMeasure
from specc.verdicts.significance import run_test

TWO = 'diff_means(score.diff where model == "tiny", score.diff where model == "small")'


def _run(tables, text, method, expect, unit="item", alternative="greater"):
    p = PreparedMeasure(parse_measure(text), tables, unit)
    return run_test(p, method, alternative, parse_expect(expect), 999, 0, 0.05)


def _item_means(frames, model):
    s = frames["score"]
    return s[s.model == model].groupby("item")["diff"].mean().sort_index().to_numpy()


def test_one_sample_t_against_threshold(tables, frames):
    got = _run(tables, "mean(score.diff)", "t", "> 0.1")
    x = frames["score"].groupby("item")["diff"].mean().to_numpy()
    assert got.p == pytest.approx(stats.ttest_1samp(x, 0.1, alternative="greater").pvalue)
    assert got.null == "mean = 0.1"


def test_binomial_counts_one_row_per_unit(tables, frames):
    got = _run(tables, 'mean(score.correct) where model == "small" and seed == 1', "binomial", ">= 0.55")
    s = frames["score"]
    c = s[(s.model == "small") & (s.seed == 1)].correct
    assert got.p == pytest.approx(stats.binomtest(int(c.sum()), len(c), 0.55, alternative="greater").pvalue)


def test_binomial_refuses_repeated_units(tables):
    """Items repeated over 6 conditions are not 240 independent trials."""
    with pytest.raises(MeasureEvalError, match="independent trials"):
        _run(tables, "mean(score.correct)", "binomial", ">= 0.55")


def test_binomial_needs_zero_one(tables):
    with pytest.raises(MeasureEvalError, match="0/1"):
        _run(tables, "mean(score.diff)", "binomial", "> 0.5")


def test_paired_t_when_both_arms_share_items(tables, frames):
    got = _run(tables, TWO, "t", "> 0")
    d = _item_means(frames, "tiny") - _item_means(frames, "small")
    assert got.p == pytest.approx(stats.ttest_1samp(d, 0, alternative="greater").pvalue)
    assert "paired over 40 units" in got.null


def test_paired_permutation_is_a_sign_flip(tables, frames):
    got = _run(tables, TWO, "permutation", "> 0")
    d = _item_means(frames, "tiny") - _item_means(frames, "small")
    ref = stats.permutation_test((d,), lambda x, axis: x.mean(axis), permutation_type="samples",
                                 n_resamples=999, alternative="greater", vectorized=True,
                                 rng=np.random.default_rng(0))
    assert got.p == pytest.approx(ref.pvalue)


def test_unpaired_welch_over_rows(tables, frames):
    got = _run(tables, TWO, "t", "> 0", unit="paradigm_not_a_column")
    s = frames["score"]
    ref = stats.ttest_ind(s[s.model == "tiny"]["diff"], s[s.model == "small"]["diff"], equal_var=False,
                          alternative="greater")
    assert got.p == pytest.approx(ref.pvalue)


def test_correlation_t(tables, frames):
    got = _run(tables, "spearman(score.correct by UID, humans.total_mean by Condition)", "t", "> 0", unit="UID")
    per_uid = frames["score"].groupby("UID").correct.mean()
    human = frames["humans"].set_index("Condition").total_mean.loc[per_uid.index]
    assert got.p == pytest.approx(stats.spearmanr(per_uid, human, alternative="greater").pvalue)
    assert got.null == "no association"


def test_untestable_measure(tables):
    with pytest.raises(MeasureEvalError, match="one call"):
        _run(tables, "mean(score.diff) - mean(score.correct)", "t", "> 0")
