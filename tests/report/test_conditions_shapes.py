"""condition_summary: the figure kind follows the table (checkpoints -> curve, layers ->
layers, else bars) and every mean and interval matches scipy's."""
from __future__ import annotations

import pandas as pd
import pytest
from report_helpers import fake_plan, hyp, scores, t_interval
from specc.report.conditions import condition_summary


def test_checkpoints_give_a_curve_with_item_intervals(rng):
    table = scores(rng)
    plan = fake_plan(score=("model", "seed", "checkpoint"))
    summary, figure = condition_summary(hyp("mean(score.correct) where checkpoint == 300", "> 0.5"),
                                        plan, {"score": table})
    # seed has one value: no column for it; checkpoint is not filtered: the curve needs all of it
    assert summary["by"] == ["model", "checkpoint"]
    assert summary["interval"] == "t over item means"
    assert len(summary["rows"]) == 6
    for row in summary["rows"]:
        group = table[(table.model == row["model"]) & (table.checkpoint == row["checkpoint"])]
        n, mean, low, high = t_interval(group.groupby("item")["correct"].mean())
        assert row["n"] == n == 30
        assert row["mean"] == pytest.approx(mean)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert figure["kind"] == "curve" and figure["x"] == "checkpoint" and figure["threshold"] == 0.5
    assert [s["label"] for s in figure["series"]] == ["model=small", "model=tiny"]
    tiny = figure["series"][1]
    assert tiny["x"] == [100, 200, 300]
    assert tiny["y"] == [r["mean"] for r in summary["rows"] if r["model"] == "tiny"]


def test_layers_give_a_layer_curve_over_rows(rng):
    rows = [{"model": m, "layer": layer, "correct": float(rng.random() < 0.5 + layer / 10)}
            for m in ("base", "tuned") for layer in range(4) for _ in range(25)]
    table = pd.DataFrame(rows)
    plan = fake_plan(probe=("model",))
    summary, figure = condition_summary(hyp("mean(probe.correct) where layer == 2", "> 0.6"), plan,
                                        {"probe": table})
    assert summary["by"] == ["model", "layer"]
    assert summary["interval"] == "t over rows"  # no item column: rows are the units
    for row in summary["rows"]:
        group = table[(table.model == row["model"]) & (table.layer == row["layer"])]
        n, mean, low, high = t_interval(group["correct"])
        assert (row["n"], row["mean"]) == (n, pytest.approx(mean))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert figure["kind"] == "layers" and figure["x"] == "layer"
    assert [s["x"] for s in figure["series"]] == [[0, 1, 2, 3]] * 2
    assert figure["threshold"] == 0.6


def test_other_tables_give_one_bar_per_condition(rng):
    table = pd.DataFrame([{"model": m, "seed": s, "item": i, "diff": rng.normal(1.0 if m == "a" else 0.0)}
                          for m in ("a", "b") for s in (1, 2) for i in range(12)])
    plan = fake_plan(steer=("model", "seed"))
    summary, figure = condition_summary(hyp("cohens_d(steer.diff, steer.diff)", "> 0.2"), plan,
                                        {"steer": table})
    assert summary["by"] == ["model", "seed"]
    assert figure["kind"] == "bars" and figure["x"] is None
    assert figure["threshold"] is None  # a Cohen's d threshold is not on the scale of the means
    (series,) = figure["series"]
    assert series["x"] == ["model=a, seed=1", "model=a, seed=2", "model=b, seed=1", "model=b, seed=2"]
    group = table[(table.model == "b") & (table.seed == 2)]
    _, mean, low, high = t_interval(group["diff"])
    assert series["y"][3] == pytest.approx(mean)
    assert (series["low"][3], series["high"][3]) == pytest.approx((low, high))


def test_a_single_condition_is_one_bar_and_one_value_has_no_interval():
    table = pd.DataFrame({"model": ["a", "a"], "item": [0, 0], "x": [1.0, 3.0]})
    summary, figure = condition_summary(hyp("mean(s.x)"), fake_plan(s=("model",)), {"s": table})
    assert summary["by"] == []
    assert summary["rows"] == [{"n": 1, "mean": 2.0, "ci_low": None, "ci_high": None}]
    assert figure["series"][0]["x"] == ["all"]
