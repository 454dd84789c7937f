"""train.dpo runs through TRL's DPOTrainer and keeps the chosen/rejected log-likelihoods per step."""
from __future__ import annotations

import math

import pytest
from finetune_runs import PREFERENCE_FIELDS, differs, facts, finetune_run, history, starting_model, weights


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = finetune_run(tmp_path_factory.mktemp("dpo"), f"""\
  dpo:
    op: train.dpo
{{common}}    data: prefs
    fields: {PREFERENCE_FIELDS}
    steps: 4
    checkpoint_every: 2
  dpo_ref:                        # measured against another model
    op: train.dpo
{{common}}    data: prefs
    fields: {PREFERENCE_FIELDS}
    reference: other
    steps: 1
""", models="  other: {init: gpt2, n_layer: 2, n_embd: 32, n_head: 2, n_positions: 64}\n")
    run.execute()
    return run


def test_writes_model_tokenizer_and_history(run):
    folder = run.folder("dpo")
    assert (folder / "model" / "model.safetensors").exists()
    assert (folder / "tokenizer" / "tokenizer.json").exists()
    assert sorted(p.name for p in (folder / "checkpoints").iterdir()) == ["2", "4"]


def test_history_has_finite_log_likelihoods_at_every_step(run):
    h = history(run, "dpo")
    assert h["step"].tolist() == [1, 2, 3, 4]
    for column in ("loss", "lr", "logp_chosen", "logp_rejected", "reward_margin", "reward_accuracy"):
        assert all(math.isfinite(v) for v in h[column]), column
    assert (h["logp_chosen"] < 0).all() and (h["logp_rejected"] < 0).all()
    assert set(h["logp_reduction"]) == {"sum"} and facts(run, "dpo")["logp_reduction"] == "sum"


def test_weights_move_from_the_start(run):
    final = weights(run.folder("dpo") / "model")
    start = {k: v for k, v in starting_model(run, "dpo").state_dict().items() if k in final}
    assert differs(start, final)


def test_reference_is_the_starting_model_unless_named(run):
    # Before the first update the policy equals its default reference: zero rewards.
    first = history(run, "dpo").iloc[0]
    assert first["reward_chosen"] == 0 and first["reward_rejected"] == 0
    named = history(run, "dpo_ref").iloc[0]
    assert named["reward_chosen"] != 0
    assert facts(run, "dpo_ref")["reference"] == "other"


def test_records_beta_and_loss(run):
    cfg = facts(run, "dpo")["trl_config"]
    assert cfg["beta"] == 0.1 and cfg["loss_type"] == ["sigmoid"]
    assert cfg["bf16"] is False and cfg["gradient_checkpointing"] is False
