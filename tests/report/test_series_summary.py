"""The figure and table of a series summary: the points are the per-key values (checked
against pandas/scipy), the band each point's bootstrap interval, and the marks what the
summary reads (peak, level, first point reaching it, threshold on the key axis)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from specc.compiler.measure import parse_measure
from specc.compiler.thresholds import parse_expect
from specc.report.conditions import condition_summary
from specc.report.series import series_summary
from specc.verdicts import FrameTables

CHECKPOINTS = [100, 200, 400, 800, 1600, 3200]


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(1)
    human = rng.normal(size=20)
    score = pd.DataFrame([{"checkpoint": cp, "tokens": cp * 512, "item": i,
                           "pref": human[i] * k / 4 + rng.normal(), "correct": rng.random() < 0.4 + k / 10}
                          for k, cp in enumerate(CHECKPOINTS) for i in range(20)])
    humans = pd.DataFrame({"item": range(20), "pref": human})
    post = pd.DataFrame([{"condition": c, "seed": s, "item": i, "alignment": m + rng.normal(0, .3)}
                         for c, m in zip("ABCD", [0, .4, .1, .8]) for s in range(6) for i in range(10)])
    return FrameTables({"score": score, "humans": humans, "post": post},
                       {"score": ("checkpoint",), "post": ("condition", "seed")})


def _hyp(measure: str, expect: str, unit: str = "item"):
    return SimpleNamespace(measure=parse_measure(measure), expect=parse_expect(expect), unit=unit,
                           missing=None, function=None, call=None)


def _curve(tables, key):
    score, humans = tables.get("score"), tables.get("humans").set_index("item").pref
    return pd.Series({k: stats.pearsonr(rows.groupby("item").pref.mean(), humans).statistic
                      for k, rows in score.groupby(key)}).sort_index()


def test_first_reaching_shows_the_curve_the_level_and_the_first_point(tables):
    text = "first_reaching(pearson(score.pref by item, humans.pref by item) per tokens, level=0.5)"
    table, figure = series_summary(_hyp(text, "<= 400000"), tables)
    curve = _curve(tables, "tokens")
    (series,) = figure["series"]
    assert series["x"] == list(curve.index) and series["y"] == pytest.approx(list(curve))
    assert all(lo <= y <= hi for y, lo, hi in zip(series["y"], series["low"], series["high"]))
    first = curve[curve >= 0.5].index[0]
    assert figure["marks"] == [{"x": first, "y": pytest.approx(curve[first]), "series": 0,
                                "label": f"first to reach the level: tokens = {first:g}"}]
    assert figure["lines"] == [{"y": 0.5, "label": "level 0.5", "series": 0}]
    assert figure["x_threshold"] == 400000 and figure["threshold"] is None
    assert table["kind"] == "series" and [r["key"] for r in table["rows"]] == list(curve.index)
    assert table["summaries"] == [{"text": text, "value": first}]


def test_the_band_is_a_percentile_bootstrap_over_the_unit(tables):
    """Each point's band is the 2.5/97.5 percentiles of that point over item resamples."""
    text = "max(pearson(score.pref by item, humans.pref by item) per checkpoint)"
    _, figure = series_summary(_hyp(text, "> 0"), tables)
    (series,) = figure["series"]
    widths = np.array(series["high"]) - np.array(series["low"])
    assert (widths > 0.05).all() and (widths < 1.5).all()
    assert figure["threshold"] == 0 and figure["x_threshold"] is None
    top = int(np.argmax(series["y"]))
    assert figure["marks"][0]["x"] == CHECKPOINTS[top]


def test_argmax_by_a_key_is_drawn_as_its_curve_of_group_means(tables):
    """`argmax(x by checkpoint)` (no `per`) gets the same figure: group means per checkpoint."""
    h = _hyp("argmax(score.correct by checkpoint)", "< 3200")
    table, figure = condition_summary(h, SimpleNamespace(stages={}), tables)
    means = tables.get("score").groupby("checkpoint").correct.mean()
    assert figure["kind"] == "series" and figure["series"][0]["y"] == pytest.approx(list(means))
    assert figure["marks"][0]["x"] == means.idxmax() and figure["x_threshold"] == 3200
    assert table["summaries"][0]["text"] == "argmax(score.correct by checkpoint)"


def test_a_nested_ratio_shows_each_series_per_condition(tables):
    text = ("range(mean(post.alignment by seed) per condition) / "
            "median(std(post.alignment by seed) per condition)")
    table, figure = series_summary(_hyp(text, "> 1", unit="seed"), tables)
    seed_means = tables.get("post").groupby(["condition", "seed"]).alignment.mean().groupby(level=0)
    means, stds = figure["series"]
    assert means["x"] == list("ABCD") and means["y"] == pytest.approx(list(seed_means.mean()))
    assert stds["y"] == pytest.approx(list(seed_means.std()))
    assert figure["threshold"] is None and figure["x_threshold"] is None   # a ratio: no axis for it
    labels = [m["label"] for m in figure["marks"]]
    assert labels[0].startswith("largest") and labels[1].startswith("smallest")
    assert figure["lines"][0]["y"] == pytest.approx(np.median(seed_means.std()))
    assert table["columns"] == ["mean(post.alignment by seed)", "std(post.alignment by seed)"]
    assert [s["value"] for s in table["summaries"]] == pytest.approx(
        [np.ptp(seed_means.mean()), np.median(seed_means.std())])


def test_a_series_per_unit_has_no_band(tables):
    """Per seed, resampled over seeds: each point is one unit, it has no interval of its own."""
    table, figure = series_summary(_hyp("mean(mean(post.alignment) per seed)", "> 0", unit="seed"), tables)
    assert figure["series"][0]["low"] == [None] * 6 and table["interval"] is None


def test_measures_without_a_series_are_left_to_the_other_summaries(tables):
    assert series_summary(_hyp("mean(score.pref)", "> 0"), tables) == (None, None)


def test_argmax_over_text_keys_has_no_series_figure(tables):
    """The verdict reports the error; the summary leaves the figure out instead of failing."""
    h = _hyp("argmax(mean(post.alignment) per condition)", "> 0")
    assert series_summary(h, tables) == (None, None)


def test_a_between_expect_gives_both_bounds_on_the_key_axis(tables):
    text = "argmax(pearson(score.pref by item, humans.pref by item) per checkpoint)"
    _, figure = series_summary(_hyp(text, "between 200 and 800"), tables)
    assert (figure["x_threshold"], figure["x_threshold_upper"]) == (200, 800)
    assert figure["threshold"] is None and figure["threshold_upper"] is None
