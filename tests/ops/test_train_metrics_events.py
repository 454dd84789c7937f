"""Training ops write their per-step metrics as TensorBoard event files, readable by
TensorBoard's own event reader with the values of history.parquet."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from finetune_runs import PREFERENCE_FIELDS, finetune_run
from op_runner import OpRun
from pretrain_helpers import pretrain, spec

from specc.runtime.metrics import read_scalars

PEAK_TFLOPS = 0.5   # a made-up peak, so MFU is defined on a CPU


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPECC_PEAK_TFLOPS", str(PEAK_TFLOPS))
        run = OpRun(tmp_path_factory.mktemp("events"), spec(pretrain("pretrain", steps=6)))
        run.execute()
    return run


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)   # events store float32


def test_pretraining_events_hold_every_step_of_the_history(pretrained):
    folder = pretrained.folder("pretrain")
    scalars = read_scalars(folder / "tensorboard")
    history = pd.read_parquet(folder / "history.parquet")
    for name in ("loss", "lr", "grad_norm", "tokens_per_s"):
        points = scalars[f"train/{name}"]
        assert [s for s, _ in points] == history["step"].tolist(), name
        assert all(close(v, h) for (_, v), h in zip(points, history[name])), name


def test_mfu_is_tokens_per_second_times_flops_over_the_peak(pretrained):
    folder = pretrained.folder("pretrain")
    facts = pretrained.manifest("pretrain")["facts"]
    assert facts["mfu_peak_tflops"] == PEAK_TFLOPS and facts["mfu_peak_source"] == "SPECC_PEAK_TFLOPS"
    scalars = read_scalars(folder / "tensorboard")
    rates = dict(scalars["train/tokens_per_s"])
    for step, mfu in scalars["train/mfu"]:
        assert close(mfu, rates[step] * facts["flops_per_token"] / (PEAK_TFLOPS * 1e12))


def test_preference_training_logs_chosen_and_rejected_log_probs(tmp_path):
    run = finetune_run(tmp_path, f"""\
  dpo:
    op: train.dpo
{{common}}    data: prefs
    fields: {PREFERENCE_FIELDS}
    steps: 3
""")
    run.execute()
    folder = run.folder("dpo")
    scalars = read_scalars(folder / "tensorboard")
    history = pd.read_parquet(folder / "history.parquet")
    for name in ("loss", "lr", "grad_norm", "logp_chosen", "logp_rejected", "reward_margin"):
        points = scalars[f"train/{name}"]
        assert [s for s, _ in points] == [1, 2, 3], name
        assert all(close(v, h) for (_, v), h in zip(points, history[name])), name
    assert all(v > 0 for _, v in scalars["train/tokens_per_s"])
    assert "train/mfu" not in scalars   # a CPU has no peak unless one is named
