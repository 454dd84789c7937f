"""Task selectors of `specc logs`: ids, prefixes, stage + axis values; errors that help."""
from __future__ import annotations

import pytest

from specc.runtime.task_select import SelectError, condition_of, select_task

IDS = ["tokenizer", "pretrain/model=tiny/seed=1", "pretrain/model=tiny/seed=2",
       "score/model=tiny/seed=1/checkpoint=10", "score/model=tiny/seed=1/checkpoint=20",
       "score/model=tiny/seed=2/checkpoint=10", "score/model=tiny/seed=2/checkpoint=20"]
TASKS = [{"task_id": i, "stage": i.split("/")[0]} for i in IDS]


def pick(selector: str) -> str:
    return select_task(TASKS, selector)["task_id"]


def test_condition_of_reads_axis_values():
    assert condition_of("score/model=tiny/seed=2/checkpoint=10") == {"model": "tiny", "seed": "2", "checkpoint": "10"}
    assert condition_of("tokenizer") == {}


def test_whole_ids_and_unambiguous_prefixes():
    assert pick("tokenizer") == "tokenizer"
    assert pick("tok") == "tokenizer"
    assert pick("pretrain/model=tiny/seed=2") == "pretrain/model=tiny/seed=2"
    assert pick("score/model=tiny/seed=2/checkpoint=2") == "score/model=tiny/seed=2/checkpoint=20"


def test_stage_and_axis_values_in_any_order():
    assert pick("pretrain seed=2") == "pretrain/model=tiny/seed=2"
    assert pick("seed=1/pretrain") == "pretrain/model=tiny/seed=1"
    assert pick("score checkpoint=20 seed=1") == "score/model=tiny/seed=1/checkpoint=20"
    assert pick("checkpoint=10 seed=2") == "score/model=tiny/seed=2/checkpoint=10"  # no stage needed


def test_ambiguous_selectors_list_matches_and_the_axis_that_separates_them():
    with pytest.raises(SelectError) as exc:
        pick("score seed=1")
    assert "matches 2 tasks" in str(exc.value) and "add checkpoint=..." in str(exc.value)
    with pytest.raises(SelectError) as exc:
        pick("seed=1")
    assert "add a stage (pretrain, score)" in str(exc.value)
    with pytest.raises(SelectError, match="matches 2 tasks"):
        pick("pretrain")


def test_no_match_suggests_close_ids():
    with pytest.raises(SelectError, match="did you mean tokenizer"):
        pick("tokeniser")
    with pytest.raises(SelectError, match="no task matches"):
        pick("pretrain seed=9")
