"""On-policy preference data: train.dpo reads an eval.generate table, the model's own
continuations as the rejected responses."""
from __future__ import annotations

import pytest
from finetune_runs import SFT_FIELDS, facts, finetune_run, history

from specc.compiler.errors import SpecErrors

GENERATE = f"""\
  sft:
    op: train.sft
{{common}}    data: prefs
    fields: {SFT_FIELDS}
    steps: 2
  own:                              # the SFT model answers each prompt in its own words
    op: eval.generate
    model: sft
    items: "prefs[:12]"
    prompt: "{{{{one_prefix_prefix}}}}"
    max_new_tokens: 3
    decoding: sample
    seed: 5
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = finetune_run(tmp_path_factory.mktemp("onpolicy"), GENERATE + """\
  dpo:
    op: train.dpo
    model: sft
    data: own
    fields: {prompt: one_prefix_prefix, chosen: one_prefix_word_good, rejected: text}
    lr: 1.0e-3
    batch_size: 4
    max_length: 32
    steps: 3
""")
    run.execute()
    return run


def test_the_generation_table_is_the_dpo_stages_upstream(run):
    dpo = run.plan.stages["dpo"]
    assert "own" in dpo.upstream and "sft" in dpo.upstream


def test_dpo_trains_on_one_pair_per_generated_row(run):
    generated = run.table("own")
    f = facts(run, "dpo")
    assert f["table_read"] == {"stage": "own", "rows": len(generated)} and len(generated) == 12
    assert f["examples"] + f["dropped_records"] == 12
    h = history(run, "dpo")
    assert h["step"].tolist() == [1, 2, 3] and h["logp_rejected"].notna().all()


def test_a_field_the_generation_table_lacks_is_a_compile_error(tmp_path):
    with pytest.raises(SpecErrors, match="txt"):
        finetune_run(tmp_path, GENERATE + """\
  dpo:
    op: train.dpo
    model: sft
    data: own
    fields: {prompt: one_prefix_prefix, chosen: one_prefix_word_good, rejected: txt}
    lr: 1.0e-3
    steps: 3
""")
