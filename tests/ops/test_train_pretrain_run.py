"""train.pretrain's run, end to end through the in-process runner: what the artifact
holds, checkpoints, the history, injection counts, continuing from an upstream model,
and the clear errors."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from op_runner import OpRun
from pretrain_helpers import pretrain, same_weights, spec, weights

STAGES = (
    pretrain("pretrain", steps=40, warmup_steps=4, checkpoint_every=15,
             inject={"data": "pairs", "text_field": "sentence_good", "fraction": 0.1, "mode": "replace_blocks"})
    + pretrain("cont", model="pretrain", tokenizer=None, steps=4, batch_size=4, block_size=32,
               lr_schedule="constant", lr=1e-4)
    + pretrain("bf16", steps=2, precision="bf16", batch_size=4, grad_accum=2, weight_decay=0.0,
               max_grad_norm=None)
    + pretrain("opt", model="tiny_opt", steps=3, lr_schedule="linear")
    + pretrain("llama", model="tiny_llama", steps=3, checkpoint_every_tokens=1000)
    + pretrain("fp16", steps=2, precision="fp16")
    + pretrain("too_long", steps=2, block_size=65))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    r = OpRun(tmp_path_factory.mktemp("pretrain"), spec(STAGES))
    r.execute(stop="tok")
    for stage in ("pretrain", "cont", "bf16", "opt", "llama"):
        r.execute(only=stage)
    return r


def test_artifact_layout(run):
    folder = run.folder("pretrain")
    assert {p.name for p in folder.iterdir()} >= {
        "model", "checkpoints", "tokenizer", "history.parquet", "checkpoints.json"}
    assert (folder / "model" / "config.json").exists() and (folder / "model" / "model.safetensors").exists()
    assert (folder / "tokenizer" / "tokenizer.json").exists()
    config = json.loads((folder / "model" / "config.json").read_text())
    assert config["vocab_size"] == 512 and config["eos_token_id"] == 0  # the tokenizer's EOS


def test_checkpoints_at_the_axis_steps_with_their_token_counts(run):
    folder = run.folder("pretrain")
    assert sorted(int(p.name) for p in (folder / "checkpoints").iterdir()) == [15, 30, 40]
    table = json.loads((folder / "checkpoints.json").read_text())
    assert [(c["step"], c["tokens"]) for c in table] == [(15, 15 * 512), (30, 30 * 512), (40, 40 * 512)]
    final = weights(folder / "model")
    assert same_weights(weights(folder / "checkpoints" / "40"), final)
    assert not same_weights(weights(folder / "checkpoints" / "15"), final)
    assert not same_weights(weights(folder / "checkpoints" / "30"), final)
    assert run.manifest("pretrain")["facts"]["checkpoints"] == [15, 30, 40]


def test_history_has_a_row_per_step_and_the_loss_falls(run):
    h = pd.read_parquet(run.folder("pretrain") / "history.parquet")
    assert list(h["step"]) == list(range(1, 41))
    assert {"tokens", "loss", "lr", "grad_norm", "injected_blocks", "tokens_per_s", "seconds"} <= set(h.columns)
    assert list(h["tokens"]) == [s * 8 * 64 for s in range(1, 41)]
    assert h["lr"].iloc[0] == 0.0 and h["lr"].iloc[4] == pytest.approx(3e-3)  # warmup, then peak
    assert h["lr"].iloc[-1] < 1e-4                                            # cosine to ~0
    assert h["loss"].iloc[:5].mean() > h["loss"].iloc[-5:].mean() + 0.3
    assert (h["tokens_per_s"] > 0).all() and h["seconds"].is_monotonic_increasing


def test_injected_blocks_are_the_declared_fraction(run):
    h = pd.read_parquet(run.folder("pretrain") / "history.parquet")
    blocks = h["step"] * 8
    assert ((h["injected_blocks"] - 0.1 * blocks).abs() < 1).all()
    facts = run.manifest("pretrain")["facts"]
    assert facts["injected_blocks"] == 32 and facts["injected_share"] == 0.1
    counts = {c["step"]: c["injected_blocks"] for c in
              json.loads((run.folder("pretrain") / "checkpoints.json").read_text())}
    assert counts == {15: 12, 30: 24, 40: 32}


def test_every_training_flag_is_recorded(run):
    facts = run.manifest("pretrain")["facts"]
    assert facts["device"] == "cpu" and facts["precision"] == "fp32" and facts["autocast"] is None
    assert facts["seed"] == 0 and facts["dtype"] == "torch.float32"
    assert (facts["batch_size"], facts["grad_accum"], facts["micro_batch"], facts["block_size"]) == (8, 1, 8, 64)
    assert (facts["lr"], facts["lr_schedule"], facts["warmup_steps"]) == (3e-3, "cosine", 4)
    assert (facts["weight_decay"], facts["max_grad_norm"]) == (0.1, 1.0)
    assert facts["tokens_per_s"] > 0 and facts["train_blocks"] > 100 and facts["tokenizer"] == "tok"


def test_bf16_autocast_on_cpu_keeps_fp32_weights(run):
    facts = run.manifest("bf16")["facts"]
    assert facts["autocast"] == "bfloat16" and facts["dtype"] == "torch.float32"
    assert facts["micro_batch"] == 4 and facts["grad_accum"] == 2 and facts["max_grad_norm"] is None
    import torch
    assert all(w.dtype == torch.float32 for w in weights(run.folder("bf16") / "model").values())


def test_continues_from_an_upstream_model_with_its_tokenizer(run):
    h = pd.read_parquet(run.folder("cont") / "history.parquet")
    first = pd.read_parquet(run.folder("pretrain") / "history.parquet")["loss"].iloc[0]
    # Starts from the trained weights: far below the loss of a fresh model (~ln 512).
    assert h["loss"].iloc[0] < first - 0.3
    facts = run.manifest("cont")["facts"]
    assert facts["tokenizer"] == "pretrain" and facts["vocab_size"] == 512
    assert not (run.folder("cont") / "checkpoints").exists()


@pytest.mark.parametrize("stage,family", [("opt", "opt"), ("llama", "llama")])
def test_other_families_train_and_save(run, stage, family):
    folder = run.folder(stage)
    assert json.loads((folder / "model" / "config.json").read_text())["model_type"] == family
    h = pd.read_parquet(folder / "history.parquet")
    assert len(h) == 3 and h["loss"].notna().all()


def test_token_intervals_checkpoint_at_the_first_step_reaching_them(run):
    # 512 tokens per step: 1000 tokens are first reached at step 2; the final step 3 is always kept.
    folder = run.folder("llama")
    assert sorted(int(p.name) for p in (folder / "checkpoints").iterdir()) == [2, 3]
    assert [c["tokens"] for c in json.loads((folder / "checkpoints.json").read_text())] == [1024, 1536]


def test_fp16_on_cpu_fails_clearly(run):
    with pytest.raises(Exception, match="fp16 needs a GPU"):
        run.execute(only="fp16")


def test_block_size_beyond_the_context_fails_clearly(run):
    with pytest.raises(Exception, match="block_size 65 exceeds the context length"):
        run.execute(only="too_long")
