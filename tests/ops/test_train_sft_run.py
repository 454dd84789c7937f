"""train.sft runs through TRL's SFTTrainer: prompt/completion pairs and plain text."""
from __future__ import annotations

import math

import pytest
from finetune_runs import SFT_FIELDS, differs, facts, finetune_run, history, starting_model, weights


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = finetune_run(tmp_path_factory.mktemp("sft"), f"""\
  sft:
    op: train.sft
{{common}}    data: prefs
    fields: {SFT_FIELDS}
    steps: 4
    checkpoint_every: 2
  lm:                             # plain-text language modelling on a text file
    op: train.sft
{{common}}    data: corpus
    fields: {{prompt: null, completion: text}}
    steps: 2
""")
    run.execute()
    return run


def test_writes_model_tokenizer_and_history(run):
    folder = run.folder("sft")
    assert (folder / "model" / "model.safetensors").exists()
    assert (folder / "tokenizer" / "tokenizer.json").exists()
    h = history(run, "sft")
    assert h["step"].tolist() == [1, 2, 3, 4]
    assert {"loss", "lr", "grad_norm"} <= set(h.columns)
    assert all(math.isfinite(v) for v in h["loss"])


def test_weights_move_from_the_start(run):
    start = {k: v for k, v in starting_model(run, "sft").state_dict().items()
             if k in weights(run.folder("sft") / "model")}
    assert differs(start, weights(run.folder("sft") / "model"))


def test_checkpoints_at_the_declared_steps(run):
    folder = run.folder("sft")
    assert sorted(p.name for p in (folder / "checkpoints").iterdir()) == ["2", "4"]
    last = weights(folder / "checkpoints" / "4")
    assert not differs(last, weights(folder / "model"))  # the last checkpoint is the final model
    assert differs(weights(folder / "checkpoints" / "2"), last)


def test_records_the_trl_config_and_the_join(run):
    f = facts(run, "sft")
    cfg = f["trl_config"]
    assert cfg["bf16"] is False and cfg["fp16"] is False and cfg["use_cpu"] is True
    assert cfg["gradient_checkpointing"] is False and cfg["learning_rate"] == 1e-3
    assert cfg["max_steps"] == 4 and cfg["per_device_train_batch_size"] == 4
    assert cfg["completion_only_loss"] is True and cfg["max_length"] == 32
    assert f["examples"] == 40 and "' '" in f["join"] and f["seed"] == 0


def test_plain_text_mode_trains_on_chunks_of_the_corpus(run):
    assert history(run, "lm")["step"].tolist() == [1, 2]
    assert facts(run, "lm")["examples"] > 100  # 40 kB in pieces of 32 tokens
