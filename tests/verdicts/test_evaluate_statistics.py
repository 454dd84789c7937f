"""Two-argument statistics equal scipy on the same (joined) data."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats


def _joined(frames):
    per_uid = frames["score"].groupby("UID").correct.mean()
    humans = frames["humans"].set_index("Condition").total_mean
    return pd.concat([per_uid, humans], axis=1, join="inner")


@pytest.mark.parametrize("name", ["pearson", "spearman", "kendall"])
def test_correlation_joined_on_keys(estimate, frames, name):
    j = _joined(frames)
    fn = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}[name]
    got = estimate(f"{name}(score.correct by UID, humans.total_mean by Condition)", unit="UID")
    assert got == pytest.approx(fn(j.iloc[:, 0], j.iloc[:, 1]).statistic)


def test_correlation_row_by_row(estimate, frames):
    s = frames["score"]
    assert estimate("pearson(score.correct, score.diff)") == pytest.approx(
        stats.pearsonr(s.correct, s["diff"]).statistic)


def test_row_by_row_needs_the_same_rows(tables):
    from specc.compiler.measure import parse_measure
    from specc.verdicts import MeasureEvalError, PreparedMeasure
    with pytest.raises(MeasureEvalError, match="same table and filter"):
        PreparedMeasure(parse_measure('pearson(score.correct where seed == 1, score.diff)'), tables, "item")


def test_keys_that_never_match(tables):
    from specc.compiler.measure import parse_measure
    from specc.verdicts import MeasureEvalError, PreparedMeasure
    with pytest.raises(MeasureEvalError, match="no key"):
        PreparedMeasure(parse_measure("spearman(score.correct by item, humans.total_mean by Condition)"),
                        tables, "item")


def test_diff_means_and_cohens_d(estimate, frames):
    s = frames["score"]
    a, b = s[s.model == "tiny"]["diff"], s[s.model == "small"]["diff"]
    assert estimate('diff_means(score.diff where model == "tiny", score.diff where model == "small")') \
        == pytest.approx(a.mean() - b.mean())
    pooled = np.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
    assert estimate('cohens_d(score.diff where model == "tiny", score.diff where model == "small")') \
        == pytest.approx((a.mean() - b.mean()) / pooled)


def test_variance_ratio_and_icc1(estimate, frames):
    cell = frames["score"].groupby(["model", "seed"]).correct.mean()
    between, within = cell.groupby("model").mean().var(), cell.groupby("model").var().mean()
    assert estimate("variance_ratio(score.correct, between=model, within=seed)", unit="seed") \
        == pytest.approx(between / within)
    k = 3  # seeds per model: ICC(1) of a balanced one-way ANOVA
    msb, msw = k * between, within
    assert estimate("icc1(score.correct, between=model, within=seed)", unit="seed") \
        == pytest.approx((msb - msw) / (msb + (k - 1) * msw))


def test_permutation_p_is_scipys(estimate, frames):
    s = frames["score"]
    a, b = s[s.model == "tiny"]["diff"].to_numpy(), s[s.model == "small"]["diff"].to_numpy()
    res = stats.permutation_test((a, b), lambda x, y, axis: x.mean(axis) - y.mean(axis), n_resamples=999,
                                 vectorized=True, rng=np.random.default_rng(0))
    got = estimate('permutation_p(score.diff where model == "tiny", score.diff where model == "small", n=999)')
    assert got == pytest.approx(res.pvalue)
