"""A 2-worker train.pretrain run whose worker 1 is killed mid-run resumes from its last
persisted state (Ray Train restarts the worker group) and ends where an uninterrupted run
ends: the same history, step by step, and the same final weights. Slow (Ray Train)."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from op_runner import OpRun
from pretrain_helpers import pretrain, spec, weights

from specc.ops.train._parallel import KILL_ENV

pytestmark = pytest.mark.slow

PARAMS = dict(steps=8, batch_size=4, warmup_steps=2, checkpoint_every=3)


def test_killed_worker_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch, ray_local):
    whole = OpRun(tmp_path / "whole", spec(pretrain("pretrain", **PARAMS)))
    whole.execute()
    marker = tmp_path / "killed"
    monkeypatch.setenv(KILL_ENV, f"1:5:{marker}")  # rank 1 dies after step 5 (state saved at 3)
    killed = OpRun(tmp_path / "killed-run", spec(pretrain("pretrain", **PARAMS,
                                                          resources={"workers": 2})))
    killed.execute()
    assert marker.exists()  # the kill happened
    logs = killed.manifest("pretrain")["logs"]
    assert any("resumed at step 3 of 8" in line for line in logs)
    a = pd.read_parquet(whole.folder("pretrain") / "history.parquet")
    b = pd.read_parquet(killed.folder("pretrain") / "history.parquet")
    assert list(b["step"]) == list(range(1, 9))  # one row per step, none twice
    assert list(b["loss"]) == pytest.approx(list(a["loss"]), abs=1e-4)
    wa, wb = weights(whole.folder("pretrain") / "model"), weights(killed.folder("pretrain") / "model")
    assert all(torch.allclose(wa[k], wb[k], atol=1e-4, rtol=0) for k in wa)
    for step in (3, 6, 8):  # the checkpoint saved before the kill survives the restart
        assert (killed.folder("pretrain") / "checkpoints" / str(step) / "model.safetensors").exists()
