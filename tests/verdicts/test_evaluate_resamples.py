"""A batch of resamples (unit multiplicities) gives what the materialised resample gives:
units drawn twice count twice, and a unit's rows move together."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from specc.compiler.measure import parse_measure
from specc.verdicts import PreparedMeasure


def _draws(n_units, rng, B=6):
    return rng.multinomial(n_units, [1 / n_units] * n_units, size=B)


def test_mean_over_items_equals_materialised(tables, frames):
    p = PreparedMeasure(parse_measure("mean(score.correct)"), tables, "item")
    W = _draws(p.n_units, np.random.default_rng(1))
    s = frames["score"]
    units = list(p.units.index)
    for b, row in enumerate(W):
        picked = pd.concat([s[s["item"] == u] for u, c in zip(units, row) for _ in range(c)])
        assert p.evaluate(W)[b] == pytest.approx(picked.correct.mean())


def test_spearman_over_paradigms_duplicates_pairs(tables, frames):
    """A paradigm drawn twice is two pairs (its score and its human norm), not four."""
    p = PreparedMeasure(parse_measure("spearman(score.correct by UID, humans.total_mean by Condition)"),
                        tables, "UID")
    W = _draws(p.n_units, np.random.default_rng(2))
    per_uid = frames["score"].groupby("UID").correct.mean()
    human = frames["humans"].set_index("Condition").total_mean
    for b, row in enumerate(W):
        xs = [per_uid[u] for u, c in zip(p.units.index, row) for _ in range(c)]
        ys = [human[u] for u, c in zip(p.units.index, row) for _ in range(c)]
        assert p.evaluate(W)[b] == pytest.approx(stats.spearmanr(xs, ys).statistic)


def test_diff_means_resamples_items_jointly(tables, frames):
    """Both arms read the same items: one draw re-weights both (a paired bootstrap)."""
    text = 'diff_means(score.diff where model == "tiny", score.diff where model == "small")'
    p = PreparedMeasure(parse_measure(text), tables, "item")
    W = _draws(p.n_units, np.random.default_rng(3))
    s = frames["score"]
    for b, row in enumerate(W):
        picked = pd.concat([s[s["item"] == u] for u, c in zip(p.units.index, row) for _ in range(c)])
        expected = picked[picked.model == "tiny"]["diff"].mean() - picked[picked.model == "small"]["diff"].mean()
        assert p.evaluate(W)[b] == pytest.approx(expected)


def test_median_of_resampled_rows(tables, frames):
    p = PreparedMeasure(parse_measure("median(score.diff)"), tables, "seed")
    s = frames["score"]
    W = np.array([[2, 1, 0], [0, 0, 3], [1, 1, 1]])
    for b, row in enumerate(W):
        picked = pd.concat([s[s.seed == u] for u, c in zip(p.units.index, row) for _ in range(c)])
        assert p.evaluate(W)[b] == pytest.approx(picked["diff"].median())


def test_condition_unit_is_the_axes(tables):
    p = PreparedMeasure(parse_measure("mean(score.correct)"), tables, "condition")
    assert p.n_units == 6   # 2 models x 3 seeds x 1 checkpoint
