"""condition_summary: the figure kind follows the table (checkpoints -> curve, layers ->
layers, a difference's arms -> points beside their difference, else bars) and every mean and interval matches scipy's."""
from __future__ import annotations

import numpy as np
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
    summary, figure = condition_summary(hyp("std(steer.diff)", "> 0.2"), plan, {"steer": table})
    assert summary["by"] == ["model", "seed"]
    assert figure["kind"] == "bars" and figure["x"] is None
    assert figure["threshold"] is None  # a std threshold is not on the scale of the means
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


def test_a_correlation_shows_its_joined_keys_as_a_table_and_a_scatter(rng):
    score = pd.DataFrame({"UID": list("abcdef") * 5, "item": range(30), "model": "m",
                          "correct": rng.random(30)})
    humans = pd.DataFrame({"Condition": list("fedcba"), "total_mean": rng.random(6)})
    summary, figure = condition_summary(
        hyp("spearman(score.correct by UID, humans.total_mean by Condition)", ">= 0.3"),
        fake_plan(score=("model",)), {"score": score, "humans": humans})
    want = score.groupby("UID").correct.mean().to_frame().join(humans.set_index("Condition"))
    assert summary["kind"] == "joined" and summary["key"] == "UID"
    assert [r["key"] for r in summary["rows"]] == list("abcdef")
    assert [r["x"] for r in summary["rows"]] == pytest.approx(want.correct.tolist())
    assert [r["y"] for r in summary["rows"]] == pytest.approx(want.total_mean.tolist())
    assert figure["kind"] == "scatter"
    assert figure["fit"] == pytest.approx(list(np.polyfit(want.correct, want.total_mean, 1)))


def test_a_difference_shows_its_two_arms_with_item_intervals(rng):
    table = pd.DataFrame({"alpha": [8.0] * 40 + [0.0] * 40, "item": list(range(20)) * 4, "model": "m",
                          "diff": rng.normal(size=80)})
    summary, figure = condition_summary(
        hyp("cohens_d(steer.diff where alpha == 8.0, steer.diff where alpha == 0.0)", "> 0.2"),
        fake_plan(steer=("model",)), {"steer": table})
    assert summary["kind"] == "arms" and len(summary["rows"]) == 2
    for row, alpha in zip(summary["rows"], (8.0, 0.0)):
        item_means = table[table.alpha == alpha].groupby("item")["diff"].mean()
        n, mean, low, high = t_interval(item_means)
        assert (row["n"], row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((n, mean, low, high))
    # the arms are labelled by what tells them apart; the table keeps each arm's whole text
    assert figure["kind"] == "arms" and figure["series"][0]["x"] == ["alpha == 8.0", "alpha == 0.0"]
    assert summary["rows"][0]["arm"] == "steer.diff where alpha == 8.0"


def test_arms_that_hold_a_layer_sweep_are_one_curve_each(rng):
    table = pd.DataFrame([{"family": f, "variant": v, "item": i, "layer": layer,
                           "kl": rng.normal(1.0 + layer + (0.5 if v == "it" else 0.0))}
                          for f in ("a", "b") for v in ("pt", "it") for i in range(15) for layer in range(3)])
    summary, figure = condition_summary(
        hyp('diff_means(lens.kl where variant == "it", lens.kl where variant == "pt")', "> 0"),
        fake_plan(lens=("family", "variant")), {"lens": table})
    assert summary["kind"] == "arms"   # the table still gives each arm's overall mean
    assert figure["kind"] == "layers" and figure["x"] == "layer"
    assert [s["label"] for s in figure["series"]] == ['variant == "it"', 'variant == "pt"']
    it = figure["series"][0]
    assert it["x"] == [0, 1, 2]
    for layer, y, low, high in zip(it["x"], it["y"], it["low"], it["high"]):
        rows = table[(table.variant == "it") & (table.layer == layer)]
        n, mean, lo, hi = t_interval(rows.groupby("item")["kl"].mean())
        assert (y, low, high) == pytest.approx((mean, lo, hi))


def test_arms_of_different_columns_keep_their_whole_text():
    table = pd.DataFrame({"item": range(10), "a": np.arange(10.0), "b": np.arange(10.0) ** 2})
    _, figure = condition_summary(hyp("diff_means(t.a, t.b)", "> 0"), fake_plan(t=()), {"t": table})
    assert figure["kind"] == "arms" and figure["series"][0]["x"] == ["t.a", "t.b"]


def test_a_steering_sweep_is_a_curve_over_alpha(rng):
    table = pd.DataFrame([{"variant": v, "item": i, "alpha": a, "vector": vec, "diff": rng.normal(a)}
                          for v in ("pt", "it") for i in range(10) for a in (0.0, 1.0, 2.0)
                          for vec in ("learned", "random")])
    summary, figure = condition_summary(
        hyp('mean(steer.diff where vector == "learned" and alpha == 2.0) - mean(steer.diff where alpha == 1.0)', "> 0"),
        fake_plan(steer=("variant",)), {"steer": table})
    assert figure["kind"] == "curve" and figure["x"] == "alpha"   # alpha is the x: not filtered
    assert summary["where"] == "vector == 'learned'"
    assert [s["x"] for s in figure["series"]] == [[0.0, 1.0, 2.0]] * 2


def test_a_per_item_summary_repeated_on_every_layer_is_not_a_flat_curve(rng):
    late = {i: rng.normal() for i in range(10)}
    table = pd.DataFrame([{"family": f, "item": i, "layer": layer, "late_kl": late[i]}
                          for f in ("a", "b") for i in range(10) for layer in range(4)])
    _, figure = condition_summary(hyp("mean(graft.late_kl)", "> 0"), fake_plan(graft=("family",)),
                                  {"graft": table})
    assert figure["kind"] == "bars" and figure["series"][0]["x"] == ["family=a", "family=b"]


def test_arms_of_a_per_item_value_repeated_on_every_layer_are_points(rng):
    commit = {(v, i): rng.integers(0, 4) for v in ("pt", "it") for i in range(12)}
    table = pd.DataFrame([{"variant": v, "item": i, "layer": layer, "commitment_layer": commit[v, i]}
                          for v in ("pt", "it") for i in range(12) for layer in range(4)])
    _, figure = condition_summary(
        hyp('diff_means(lens.commitment_layer where variant == "it", '
            'lens.commitment_layer where variant == "pt")', "> 0"),
        fake_plan(lens=("variant",)), {"lens": table})
    assert figure["kind"] == "arms" and figure["ylabel"] == "mean lens.commitment_layer"


def test_a_paired_difference_is_drawn_beside_its_arms_with_the_threshold(rng):
    """H3 of finetune-methods: the same held-out documents in both arms, a small difference
    between two large means. The difference is paired over the hypothesis' unit (its interval
    cancels the between-document spread the arms' intervals carry) and diff_means' threshold
    is on its scale."""
    from scipy import stats
    from specc.compiler.spec_model import Decision, Hypothesis
    from specc.compiler.typed_hypothesis import compile_hypothesis
    hard = rng.normal(4.0, 0.6, size=50)   # a document's difficulty, shared by both arms
    table = pd.DataFrame([{"upstream": up, "doc": d, "nll": hard[d] + (0.0 if up == "sft" else 0.05)
                           + rng.normal(0, 0.02)} for up in ("sft", "noreplay") for d in range(50)])
    measure = 'diff_means(ppl.nll where upstream == "sft", ppl.nll where upstream == "noreplay")'
    h = compile_hypothesis("H3", Hypothesis(statement="s", measure=measure, expect="< 0",
                                            interval={"method": "bca", "unit": "doc"}), Decision())
    summary, figure = condition_summary(h, fake_plan(ppl=("upstream",)), {"ppl": table})
    assert summary["interval"] == "t over rows"   # no item column: the arms are over rows
    by_doc = table.pivot(index="doc", columns="upstream", values="nll")
    ci = stats.ttest_rel(by_doc["sft"], by_doc["noreplay"]).confidence_interval(0.95)
    difference = figure["difference"]
    assert difference["interval"] == "paired t over 50 doc means" and difference["n"] == 50
    assert (difference["mean"], difference["ci_low"], difference["ci_high"]) == pytest.approx(
        ((by_doc["sft"] - by_doc["noreplay"]).mean(), ci.low, ci.high))
    assert difference["ci_high"] < 0 < min(r["ci_high"] - r["ci_low"] for r in summary["rows"]) - 0.1
    assert (difference["threshold"], difference["threshold_upper"]) == (0.0, None)
    assert difference["label"] == 'upstream == "sft" − upstream == "noreplay"'
    assert summary["difference"]["mean"] == difference["mean"]   # also a row of the arms table


def test_unpaired_arms_get_welch_and_cohens_d_no_threshold_on_the_difference(rng):
    from scipy import stats
    table = pd.DataFrame({"g": ["a"] * 20 + ["b"] * 30, "item": range(50), "x": rng.normal(size=50)})
    _, figure = condition_summary(hyp('cohens_d(t.x where g == "a", t.x where g == "b")', "> 0.2"),
                                  fake_plan(t=()), {"t": table})
    ci = stats.ttest_ind(table.x[:20], table.x[20:], equal_var=False).confidence_interval(0.95)
    difference = figure["difference"]
    assert difference["interval"] == "Welch t, 20 vs 30"
    assert (difference["ci_low"], difference["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert "threshold" not in difference   # d's threshold is not on the scale of the means


def _lens_table(rng):
    return pd.DataFrame([{"family": f, "variant": v, "item": i, "layer": layer,
                          "kl": rng.normal(1.0 + layer + (0.5 if v == "it" else 0.0))}
                         for f in ("a", "b") for v in ("pt", "it") for i in range(15) for layer in range(3)])


def test_a_series_the_series_figure_cannot_draw_falls_back_to_its_column(rng, monkeypatch):
    # When the series itself cannot be computed on these tables, the summary reads the
    # series' own calls (it used to stop the run: 'Per' object has no attribute 'column').
    import specc.report.series as series
    monkeypatch.setattr(series, "series_summary", lambda hypothesis, tables: (None, None))
    table = _lens_table(rng)
    summary, figure = condition_summary(hyp('max(mean(lens.kl where variant == "it") per family)', "> 0"),
                                        fake_plan(lens=("family", "variant")), {"lens": table})
    assert figure["kind"] == "layers" and summary["where"] is None   # variant is an axis: not filtered


def _graft_table(rng):
    # late_kl is one value per item and graft, repeated on each of its layers (as probe.graft writes it)
    late = {(f, i, d, n): rng.normal(1.0 if n == 0 else 0.4) for f in ("a", "b") for i in range(12)
            for d in ("donor->recipient", "recipient->donor") for n in (0, 2)}
    return pd.DataFrame([{"family": f, "item": i, "direction": d, "n_layers": n, "layer": layer,
                          "late_kl": value} for (f, i, d, n), value in late.items() for layer in range(3)])


def test_means_of_one_column_under_different_filters_are_arms(rng):
    table = _graft_table(rng)
    summary, figure = condition_summary(
        hyp('1 - mean(graft.late_kl where direction == "donor->recipient" and n_layers > 0) '
            '/ mean(graft.late_kl where direction == "donor->recipient" and n_layers == 0)', ">= 0.5"),
        fake_plan(graft=("family",)), {"graft": table})
    assert summary["kind"] == "arms" and [r["n"] for r in summary["rows"]] == [12, 12]
    grafted = table[(table.direction == "donor->recipient") & (table.n_layers > 0)]
    n, mean, low, high = t_interval(grafted.groupby("item")["late_kl"].mean())
    assert (summary["rows"][0]["mean"], summary["rows"][0]["ci_low"]) == pytest.approx((mean, low))
    # labelled by what tells them apart (the shared direction filter is left out); a per-item
    # value on every layer is no curve
    assert figure["kind"] == "arms" and figure["series"][0]["x"] == ["n_layers > 0", "n_layers == 0"]


def test_means_that_differ_in_an_axis_keep_the_condition_curve(rng):
    table = scores(rng)
    _, figure = condition_summary(
        hyp("mean(score.correct where checkpoint == 300) - mean(score.correct where checkpoint == 100)", "> 0"),
        fake_plan(score=("model", "seed", "checkpoint")), {"score": table})
    assert figure["kind"] == "curve" and figure["x"] == "checkpoint"
