"""train.sft reads a table stage as data: an analyse.influence table, training only on the
records its `keep` column keeps; the table's columns are checked at compile time."""
from __future__ import annotations

import pytest
from finetune_runs import facts, finetune_run

from specc.compiler.errors import SpecErrors

SCORES = """\
  scores:
    op: analyse.influence
    model: tiny
    tokenizer: tok
    data: "prefs[:20]"
    text_field: sentence_good
    target: "prefs[:8]"
    target_fields: {completion: sentence_bad}
    max_length: 32
    drop_top: 0.1
"""
SFT = SCORES + """\
  sft:
    op: train.sft
{common}    data: scores
    keep_column: keep
    fields: {prompt: null, completion: sentence_good}
    steps: 2
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = finetune_run(tmp_path_factory.mktemp("sft_table"), SFT)
    run.execute()
    return run


def test_sft_trains_on_the_records_the_influence_table_keeps(run):
    assert "scores" in run.plan.stages["sft"].upstream
    f = facts(run, "sft")
    assert f["table_read"] == {"stage": "scores", "rows": 20}
    assert f["kept"] == {"column": "keep", "kept": 18, "of": 20}
    assert f["examples"] == 18


def test_a_keep_column_the_table_lacks_is_a_compile_error(tmp_path):
    with pytest.raises(SpecErrors, match="has no column 'kept'"):
        finetune_run(tmp_path, SFT.replace("keep_column: keep", "keep_column: kept"))


def test_a_text_field_the_table_lacks_is_a_compile_error(tmp_path):
    with pytest.raises(SpecErrors, match="sentence_best"):
        finetune_run(tmp_path, SFT.replace("completion: sentence_good}\n    steps", "completion: sentence_best}\n    steps"))


def test_keep_column_must_not_be_a_text_field(tmp_path):
    with pytest.raises(SpecErrors, match="also a text field"):
        finetune_run(tmp_path, SFT.replace("keep_column: keep", "keep_column: sentence_good"))
