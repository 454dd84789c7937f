"""condition_summary: which rows and columns it summarises, and when it declines."""
from __future__ import annotations

import pandas as pd
import pytest
from report_helpers import fake_plan, hyp, scores, t_interval
from specc.report.conditions import condition_summary


def test_row_filters_apply_axis_filters_do_not(rng):
    table = scores(rng)
    plan = fake_plan(score=("model", "seed", "checkpoint"))
    summary, _ = condition_summary(hyp('mean(score.correct where prompt == "") where checkpoint == 300'), plan,
                                   {"score": table})
    assert summary["where"] == "prompt == ''"
    assert {r["checkpoint"] for r in summary["rows"]} == {100, 200, 300}
    row = summary["rows"][0]
    group = table[(table.model == row["model"]) & (table.checkpoint == row["checkpoint"])
                  & (table.prompt == "")]
    assert row["mean"] == pytest.approx(t_interval(group["correct"])[1])


def test_the_first_value_column_is_summarised_even_after_a_number(rng):
    # (two means of the same column would be summarised as arms: test_conditions_shapes)
    table = pd.DataFrame({"n_layers": [0, 0, 4, 4], "kl_donor": [1.0, 2.0, 0.5, 0.7],
                          "kl_recipient": [1.0, 1.0, 1.0, 1.0], "model": ["m"] * 4})
    summary, _ = condition_summary(hyp("1 - mean(graft.kl_donor where n_layers == 4) / mean(graft.kl_recipient)"),
                                   fake_plan(graft=("model",)), {"graft": table})
    assert summary["column"] == "kl_donor" and summary["where"] == "n_layers == 4"
    assert summary["rows"][0]["mean"] == pytest.approx(0.6)


def test_threshold_of_accuracy_vs_chance_is_shifted_by_chance():
    table = pd.DataFrame({"m": ["a", "b"], "correct": [True, False]})
    _, figure = condition_summary(hyp("accuracy_vs_chance(mc.correct, chance=0.25)", "> 0.1"), fake_plan(mc=("m",)),
                                  {"mc": table})
    assert figure["threshold"] == pytest.approx(0.35)


@pytest.mark.parametrize("measure, tables", [
    ("mean(humans.total_mean)", {"humans": pd.DataFrame({"total_mean": [1.0]})}),  # a data source
    ("count(s.label)", {"s": pd.DataFrame({"m": ["a"], "label": ["x"]})}),         # text column
    ("mean(s.missing)", {"s": pd.DataFrame({"m": ["a"], "x": [1.0]})}),            # no such column
])
def test_nothing_to_summarise(measure, tables):
    assert condition_summary(hyp(measure), fake_plan(s=("m",)), tables) == (None, None)


def test_a_perplexity_tokens_column_is_not_an_x_axis():
    table = pd.DataFrame({"m": ["a", "a", "b", "b"], "doc": [0, 1, 0, 1], "tokens": [10, 20, 15, 25],
                          "nll": [3.0, 3.2, 2.9, 3.1]})
    _, figure = condition_summary(hyp("mean(ppl.nll)"), fake_plan(ppl=("m",)), {"ppl": table})
    assert figure["kind"] == "bars"


def test_a_training_history_is_a_curve_over_tokens():
    table = pd.DataFrame({"seed": [1, 1, 2, 2], "step": [1, 2, 1, 2], "tokens": [64, 128, 64, 128],
                          "loss": [4.0, 3.0, 4.2, 3.1]})
    summary, figure = condition_summary(hyp("mean(pretrain.loss)"), fake_plan(pretrain=("seed",)),
                                        {"pretrain": table})
    assert figure["kind"] == "curve" and figure["x"] == "tokens"
    assert [s["label"] for s in figure["series"]] == ["seed=1", "seed=2"]
    assert figure["series"][0]["y"] == [4.0, 3.0]
    assert summary["by"] == ["seed", "tokens"]


def test_a_stage_with_no_finished_task_has_no_summary():
    from specc.verdicts.tables import FrameTables
    assert condition_summary(hyp("mean(s.x)"), fake_plan(s=("m",)), FrameTables({})) == (None, None)


def test_filters_that_leave_no_rows_give_no_summary():
    table = pd.DataFrame({"m": ["a", "b"], "prompt": ["", ""], "x": [1.0, 2.0]})
    assert condition_summary(hyp('mean(s.x where prompt == "So")'), fake_plan(s=("m",)), {"s": table}) == (None, None)
