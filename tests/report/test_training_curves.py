"""Training curves in results.md: read from each training task's history, binned, drawn
one line per condition, and laid out in a golden report.

    SPECC_UPDATE_GOLDEN=1 python -m pytest tests/report/test_training_curves.py
"""
from __future__ import annotations

import copy
import difflib
import os
from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pytest

from specc.compiler import compile_spec
from specc.report import training_curves as tc
from specc.report.results import load_results, render_results

GOLDEN = Path(__file__).parent / "golden"
TOY = Path(__file__).parents[2] / "tests" / "specs" / "blimp-toy.yaml"


class FolderStore:
    """The part of an ArtifactStore the curves read: a folder per key."""

    def __init__(self, root: Path, keys: set[str]):
        self.root, self.keys, self.fs = root, keys, fsspec.filesystem("file")

    def has(self, key):
        return key in self.keys

    def path(self, key):
        return str(self.root / key)


def history(seed: int, steps: int) -> pd.DataFrame:
    step = np.arange(1, steps + 1)
    return pd.DataFrame({"step": step, "tokens": step * 1024, "loss": 8.0 / np.sqrt(step) + seed / 100,
                         "lr": 1e-3, "grad_norm": 1.0 + 1.0 / step, "tokens_per_s": 9000.0})


@pytest.fixture
def curves(tmp_path):
    plan = compile_spec(TOY)
    tasks = [t for t in plan.tasks if t.stage == "pretrain"]
    for task in tasks:
        (tmp_path / task.key).mkdir()
        history(dict(task.condition)["seed"], 300).to_parquet(tmp_path / task.key / "history.parquet")
    tokenizer = next(t for t in plan.tasks if t.stage == "tokenizer")
    (tmp_path / tokenizer.key).mkdir()   # a model-less stage is never read
    return tc.training_curves(plan, FolderStore(tmp_path, {t.key for t in tasks} | {tokenizer.key}))


def test_one_curve_per_training_stage_and_condition(curves, monkeypatch):
    assert list(curves) == ["pretrain"]
    curve = curves["pretrain"]
    assert curve["x"] == "tokens" and curve["metrics"] == ["loss", "grad_norm"]
    labels = [s["label"] for s in curve["series"]]
    assert sorted(labels) == sorted(f"model={m}, seed={s}" for m in ("tiny", "small") for s in (1, 2, 3))
    first = curve["series"][0]
    assert len(first["x"]) == 300 and first["final"] == {"loss": pytest.approx(8 / np.sqrt(300) + 0.01),
                                                         "grad_norm": pytest.approx(1 + 1 / 300),
                                                         "tokens": 300 * 1024.0}


def test_long_histories_are_binned_to_their_means():
    frame = history(1, 1000)
    s = tc._series(frame, "step", ["loss"], "run")
    assert len(s["x"]) == tc.MAX_POINTS
    sizes = [len(b) for b in np.array_split(np.arange(1000), tc.MAX_POINTS)]
    assert s["x"][0] == pytest.approx(np.mean(range(1, sizes[0] + 1)))
    assert s["values"]["loss"][0] == pytest.approx(frame["loss"][:sizes[0]].mean())
    assert s["final"]["loss"] == frame["loss"].iloc[-1]


def test_golden_report_with_a_training_curve_figure(curves, tmp_path):
    results = copy.deepcopy(load_results(GOLDEN / "results_input.json"))
    for s in curves["pretrain"]["series"]:   # a short curve keeps the golden input readable
        s["x"], s["values"] = s["x"][::30], {m: v[::30] for m, v in s["values"].items()}
    results["training_curves"] = curves
    out = tmp_path / "report"
    text = render_results(results, out).read_text(encoding="utf-8")
    figure = out / "figures" / "training" / "pretrain.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 10_000
    assert "![pretrain: loss, grad_norm by tokens](figures/training/pretrain.png)" in text

    section = text[text.index("## Training curves"):text.index("## Cost")]
    expected_path = GOLDEN / "training_curves.md"
    if os.environ.get("SPECC_UPDATE_GOLDEN") == "1":
        expected_path.write_text(section, encoding="utf-8")
        pytest.skip("golden file regenerated")
    expected = expected_path.read_text(encoding="utf-8")
    if section != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), section.splitlines(keepends=True),
                                            "golden/training_curves.md", "rendered"))
        pytest.fail(f"the training-curves section differs (SPECC_UPDATE_GOLDEN=1 to accept):\n{diff}")

    # a re-render without curves removes the stale figure
    results.pop("training_curves")
    assert "## Training curves" not in render_results(results, out).read_text(encoding="utf-8")
    assert not figure.exists()
