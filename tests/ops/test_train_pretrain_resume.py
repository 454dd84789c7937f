"""train.pretrain resumes an interrupted run from its resume folder, to the same weights
as a run that was never interrupted (CPU, fp32: bit for bit)."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from op_runner import OpRun
from pretrain_helpers import pretrain, same_weights, spec, weights
from specc.ops.train import _loop

# Dropout on: the resumed run must also restore the RNG to draw the same dropout masks.
# Checkpoints at 3, 6, 8; with an inject source, so the data position matters too.
BODY = spec(pretrain("pretrain", steps=8, warmup_steps=2, checkpoint_every=3,
                     inject={"data": "pairs", "text_field": "sentence_good", "fraction": 0.25, "mode": "replace_blocks"}),
            dropout=0.1)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    run = OpRun(tmp_path_factory.mktemp("whole"), BODY)
    run.execute()
    return run


def crash_then_resume(tmp_path, monkeypatch, at: int) -> OpRun:
    run = OpRun(tmp_path, BODY)
    monkeypatch.setenv(_loop.CRASH_ENV, str(at))
    with pytest.raises(Exception, match="simulated crash after step"):
        run.execute()
    monkeypatch.delenv(_loop.CRASH_ENV)
    run.execute()
    return run


def losses(run: OpRun) -> list[float]:
    return list(pd.read_parquet(run.folder("pretrain") / "history.parquet")["loss"])


def test_resumes_from_the_last_checkpoint_to_identical_weights(uninterrupted, tmp_path, monkeypatch):
    run = crash_then_resume(tmp_path, monkeypatch, at=5)  # state saved at 3; steps 4-5 redone
    assert any("resumed at step 3 of 8" in line for line in run.manifest("pretrain")["logs"])
    folder, whole = run.folder("pretrain"), uninterrupted.folder("pretrain")
    assert same_weights(weights(folder / "model"), weights(whole / "model"))
    for step in (3, 6, 8):  # the checkpoint saved before the crash survives, the others match
        assert same_weights(weights(folder / "checkpoints" / str(step)),
                            weights(whole / "checkpoints" / str(step)))
    assert losses(run) == losses(uninterrupted)  # one history row per step, none twice
    assert (json.loads((folder / "checkpoints.json").read_text())
            == json.loads((whole / "checkpoints.json").read_text()))
    # Committed: nothing left to resume.
    assert not (run.store.resume_folder(run.tasks("pretrain")[0].key) / "state.pt").exists()


def test_a_crash_right_after_a_checkpoint_loses_nothing(uninterrupted, tmp_path, monkeypatch):
    run = crash_then_resume(tmp_path, monkeypatch, at=6)
    assert any("resumed at step 6 of 8" in line for line in run.manifest("pretrain")["logs"])
    assert same_weights(weights(run.folder("pretrain") / "model"),
                        weights(uninterrupted.folder("pretrain") / "model"))


def test_periodic_state_saves_between_checkpoints(uninterrupted, tmp_path, monkeypatch):
    monkeypatch.setattr(_loop, "SAVE_STATE_EVERY_S", 0.0)  # save after every step
    run = crash_then_resume(tmp_path, monkeypatch, at=5)
    assert any("resumed at step 5 of 8" in line for line in run.manifest("pretrain")["logs"])
    assert same_weights(weights(run.folder("pretrain") / "model"),
                        weights(uninterrupted.folder("pretrain") / "model"))

