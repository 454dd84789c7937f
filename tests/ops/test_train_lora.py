"""LoRA fine-tuning (peft): the produced model has the adapters merged in, a plain transformers model."""
from __future__ import annotations

import pytest
from finetune_runs import PREFERENCE_FIELDS, SFT_FIELDS, differs, facts, finetune_run, history, starting_model, weights

from specc.ops import OPS
from specc.ops.train._trl import lora_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = finetune_run(tmp_path_factory.mktemp("lora"), f"""\
  sft:
    op: train.sft
{{common}}    data: prefs
    fields: {SFT_FIELDS}
    lora: {{r: 4, alpha: 8.0, dropout: 0.0}}
    steps: 2
    checkpoint_every: 1
  dpo:
    op: train.dpo
{{common}}    data: prefs
    fields: {PREFERENCE_FIELDS}
    lora: {{r: 4, target_modules: [c_attn]}}
    steps: 2
""")
    run.execute()
    return run


@pytest.mark.parametrize("stage", ["sft", "dpo"])
def test_merged_model_loads_plain_and_differs_from_the_base(run, stage):
    from transformers import AutoModelForCausalLM
    folder = run.folder(stage) / "model"
    final = weights(folder)
    assert not any("lora" in k or "base_layer" in k for k in final)  # merged: no adapter tensors
    base = starting_model(run, stage)
    assert final.keys() <= base.state_dict().keys()
    assert differs({k: v for k, v in base.state_dict().items() if k in final}, final)
    lm = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True)
    assert type(lm).__name__ == "GPT2LMHeadModel"


def test_checkpoints_are_merged_copies_and_training_goes_on(run):
    folder = run.folder("sft")
    first, last = weights(folder / "checkpoints" / "1"), weights(folder / "checkpoints" / "2")
    assert not any("lora" in k for k in first)
    assert differs(first, last) and not differs(last, weights(folder / "model"))


def test_only_the_adapters_train(run):
    # all-linear on a 1-layer GPT-2 (n_embd 32): c_attn 32->96, attn c_proj 32->32,
    # mlp c_fc 32->128, mlp c_proj 128->32; r=4 adds 4 * (in + out) each.
    assert facts(run, "sft")["lora"]["trainable_params"] == 4 * (128 + 64 + 160 + 160)
    assert facts(run, "dpo")["lora"]["trainable_params"] == 4 * (32 + 96)


def test_dpo_reference_is_the_base_with_adapters_off(run):
    first = history(run, "dpo").iloc[0]
    assert first["reward_chosen"] == 0  # fresh adapters: policy = base = reference
    assert "adapters disabled" in facts(run, "dpo")["reference"]


def test_lora_config_from_params():
    p = OPS.get("train.sft").params(model="m", data="d", lr=1e-4, steps=1, lora={"r": 16, "alpha": 32})
    cfg = lora_config(p)
    assert (cfg.r, cfg.lora_alpha, cfg.lora_dropout, cfg.target_modules) == (16, 32.0, 0.05, "all-linear")
    assert lora_config(p.model_copy(update={"lora": None})) is None
