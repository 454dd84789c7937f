"""train.pretrain on 2 CPU workers (Ray Train, gloo): the same science as on one.

One spec, three stages trained on the same global batch of 8 blocks per step (dropout 0):
`one` on one process (batch 4 × grad_accum 2), `ddp` and `fsdp` on two workers (4 blocks
each per step). The loss curves agree to float tolerance (only the order of the gradient sums
differs), and FSDP's gathered final weights equal DDP's; both are plain save_pretrained
models with checkpoints. Slow: each multi-worker stage starts a Ray Train worker group.
"""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from op_runner import OpRun
from pretrain_helpers import pretrain, spec, weights

pytestmark = pytest.mark.slow

COMMON = dict(steps=6, batch_size=4, grad_accum=2, warmup_steps=2, checkpoint_every=3,
              inject={"data": "pairs", "text_field": "sentence_good", "fraction": 0.25, "mode": "replace_blocks"})
# Resources are not part of a task's key (they change where it runs, not what it computes),
# so each variant runs in a store of its own.
RESOURCES = {"one": {}, "ddp": {"workers": 2, "sharding": "none"},
             "fsdp": {"workers": 2, "sharding": "full"}}


class Runs:
    def __init__(self, root):
        self.runs = {}
        for name, res in RESOURCES.items():
            self.runs[name] = OpRun(root / name, spec(pretrain("pretrain", **COMMON, resources=res)))
            self.runs[name].execute()

    def folder(self, name):
        return self.runs[name].folder("pretrain")

    def manifest(self, name):
        return self.runs[name].manifest("pretrain")


@pytest.fixture(scope="module")
def run(tmp_path_factory, ray_local):
    return Runs(tmp_path_factory.mktemp("parallel"))


def history(run: Runs, name: str) -> pd.DataFrame:
    return pd.read_parquet(run.folder(name) / "history.parquet")


def close(a: dict, b: dict, atol: float) -> bool:
    assert a.keys() == b.keys()
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    assert worst <= atol, {k: (a[k] - b[k]).abs().max().item() for k in a}
    return True


def test_two_workers_follow_the_one_worker_loss_curve(run):
    one, ddp = history(run, "one"), history(run, "ddp")
    assert list(one["step"]) == list(ddp["step"]) == [1, 2, 3, 4, 5, 6]
    assert list(one["tokens"]) == list(ddp["tokens"])          # the same global batch
    assert list(one["injected_blocks"]) == list(ddp["injected_blocks"])  # the same injection schedule
    assert list(one["lr"]) == pytest.approx(list(ddp["lr"]), abs=0)     # the same schedule
    assert list(one["loss"]) == pytest.approx(list(ddp["loss"]), abs=1e-4)
    assert list(one["grad_norm"]) == pytest.approx(list(ddp["grad_norm"]), abs=1e-4)
    # Training moved the weights, so agreeing is not agreeing on a starting point.
    assert one["loss"].iloc[-1] < one["loss"].iloc[0] - 0.05
    assert close(weights(run.folder("one") / "model"), weights(run.folder("ddp") / "model"), atol=1e-4)


def test_fsdp_gathers_to_the_same_weights_as_ddp(run):
    ddp, fsdp = run.folder("ddp"), run.folder("fsdp")
    for sub in ("model", "checkpoints/3", "checkpoints/6"):
        assert close(weights(ddp / sub), weights(fsdp / sub), atol=1e-4), sub
    assert list(history(run, "fsdp")["loss"]) == pytest.approx(list(history(run, "ddp")["loss"]), abs=1e-4)


def test_the_gathered_model_loads_as_a_plain_transformers_model(run):
    import transformers
    lm = transformers.AutoModelForCausalLM.from_pretrained(str(run.folder("fsdp") / "model"))
    assert not any(hasattr(p, "placements") for p in lm.parameters())  # no DTensor left
    assert lm(torch.tensor([[1, 2, 3]])).logits.shape == (1, 3, 512)


def test_manifest_records_world_size_sharding_and_batches(run):
    one, ddp, fsdp = (run.manifest(s)["facts"] for s in ("one", "ddp", "fsdp"))
    assert (one["global_batch"], one["per_device_batch"], one["micro_batch"]) == (8, 8, 4)
    assert (ddp["world_size"], ddp["sharding"], ddp["parallelism"]) == (2, "none", "DDP")
    assert (ddp["global_batch"], ddp["per_device_batch"], ddp["micro_batch"]) == (8, 4, 4)
    assert (fsdp["world_size"], fsdp["sharding"], fsdp["parallelism"]) == (2, "full", "FSDP FULL_SHARD")
    assert "for-each" in fsdp["optimizer"]
    # Global tokens per second: the step's tokens (all workers) over its wall time.
    steady = history(run, "ddp")["tokens_per_s"].iloc[1:]
    assert ddp["tokens_per_s"] == pytest.approx(len(steady) / (1 / steady).sum())
    assert any("training on 2 workers (CPU)" in line for line in run.manifest("ddp")["logs"])
