"""Run an example spec's smoke profile the way a user does, in a throwaway repository.

The spec and its lock are copied into `tmp/repo/specs/` with the project's `specc.toml`, and
`tmp/shared` links to the real `../shared`, so the spec's `../../shared/data/...` paths and the
data roots resolve exactly as in the checkout while the store, ledger and reports land in tmp
(a test never writes `reports/` of the checkout).
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from specc.verdicts.result import INCONCLUSIVE, NOT_TESTED, REFUTED, SUPPORTED

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
DECIDED = {SUPPORTED, REFUTED, INCONCLUSIVE}


@dataclass
class SmokeRun:
    proc: subprocess.CompletedProcess
    repo: Path
    results: dict              # .specc/runs/<run>/results.json
    report: str                # reports/<name>/results.md
    report_dir: Path

    def figures(self) -> list[Path]:
        """Every image results.md links to, as paths (each must exist)."""
        return [self.report_dir / p for p in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", self.report)]


def run_smoke(name: str, tmp_path: Path, timeout: int = 1500) -> SmokeRun:
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    (repo / ".git").mkdir()
    for suffix in (".yaml", ".lock.json"):
        shutil.copy(ROOT / "specs" / f"{name}{suffix}", repo / "specs")
    shutil.copy(ROOT / "specc.toml", repo)
    (tmp_path / "shared").symlink_to(SHARED)
    proc = subprocess.run(
        [sys.executable, "-m", "specc", "run", f"specs/{name}.yaml", "--profile", "smoke", "--plain"],
        cwd=repo, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
             "TRANSFORMERS_OFFLINE": "1"})
    assert proc.returncode == 0, f"smoke run of {name} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    runs = sorted((repo / ".specc" / "runs").glob("*/results.json"))
    assert runs, f"no results.json after the smoke run of {name}"
    report_dir = repo / "reports" / name
    return SmokeRun(proc, repo, json.loads(runs[-1].read_text()), (report_dir / "results.md").read_text(),
                    report_dir)


def assert_smoke_report(run: SmokeRun, *, gated: tuple[str, ...] = ()) -> None:
    """What every example's smoke run must show: every task succeeded; every hypothesis was
    decided from a finite estimate (or, for ids in `gated`, not tested because its gate closed, with the reason);
    results.md has its verdict table, a section per hypothesis, condition tables, and every
    figure it links to exists and is not empty."""
    stages = run.results["stages"]
    assert stages, "the run recorded no stage"
    for stage in stages:
        if stage.get("skipped_because"):          # a stage gated off by a hypothesis
            continue
        assert set(stage["counts"]) <= {"succeeded", "cached"} and stage["counts"], stage
    for h in run.results["hypotheses"]:
        if h["id"] in gated and h["status"] == NOT_TESTED:
            assert h.get("reason") or h.get("gate"), h
            continue
        assert h["status"] in DECIDED, (h["id"], h["status"], h.get("reason"))
        assert h["estimate"] is not None and math.isfinite(h["estimate"]), h
        assert f"### {h['id']} " in run.report, f"{h['id']} has no section in results.md"
    assert "## Verdicts" in run.report and "| " in run.report
    assert run.results["condition_tables"], "results.md has no condition table"
    figures = run.figures()
    assert figures, "results.md shows no figure"
    for fig in figures:
        assert fig.is_file() and fig.stat().st_size > 1000, f"missing or empty figure {fig}"
