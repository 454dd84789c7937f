"""A data limit may take an axis value (`prefs[sample:${n}]`): a sample-size sweep is one stage."""
from __future__ import annotations

from pathlib import Path

import pytest

from specc.compiler import compile_spec
from specc.compiler.errors import SpecErrors

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SPEC = """\
specc: 1
name: limits
title: t
question: q?
seed: 3
data:
  prefs: {{jsonl: {shared}/blimp/anaphor_gender_agreement.jsonl}}
models:
  tiny: {{init: gpt2, n_layer: 1, n_embd: 32, n_head: 2, n_positions: 64}}
conditions: {{n: {sizes}}}
stages:
  tok: {{op: train.tokenizer, data: prefs, text_field: sentence_good, vocab_size: 300}}
  sft:
    op: train.sft
    over: [n]
    model: tiny
    tokenizer: tok
    data: "prefs[sample:${{n}}]"
    fields: {{prompt: one_prefix_prefix, completion: one_prefix_word_good}}
    lr: 1.0e-3
    epochs: 1
"""


def spec(tmp_path, sizes):
    (tmp_path / ".git").mkdir()
    (tmp_path / "specc.toml").write_text(f'[data]\nroots = ["{SHARED}"]\n')
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(shared=SHARED, sizes=sizes))
    return path


def test_each_task_reads_its_own_limit_and_costs_its_size(tmp_path):
    plan = compile_spec(spec(tmp_path, "[10, 100]"))
    stage = plan.stages["sft"]
    tasks = sorted((t for t in plan.tasks if t.stage == "sft"), key=lambda t: dict(t.condition)["n"])
    assert [dict(t.condition)["n"] for t in tasks] == [10, 100] and tasks[0].key != tasks[1].key
    assert [stage.params[t.combo]["data"] for t in tasks] == ["prefs[sample:10]", "prefs[sample:100]"]
    small, large = (stage.costs[t.cost_key] for t in tasks)
    assert 0 < small.tokens < large.tokens            # one epoch of 10 vs 100 records


def test_a_limit_beyond_the_source_is_an_error_naming_the_condition(tmp_path):
    with pytest.raises(SpecErrors, match="n=5000"):
        compile_spec(spec(tmp_path, "[10, 5000]"))
