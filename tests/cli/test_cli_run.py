"""`specc run`, `status`, `runs` and `plan`'s cache column, as a user types them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SPEC = """\
specc: 1
name: cli-run
title: CLI run
question: Does specc run say what it did?
conditions:
  x: [1, 2]
stages:
  values:
    op: tiny.value
    over: [x]
    value: ${x}
    fail: {fail}
  total:
    op: tiny.sum
    of: values
"""


def specc(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=root, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    return tmp_path


@pytest.mark.slow
def test_run_rerun_status_runs_and_plan(repo):
    (repo / "spec.yaml").write_text(SPEC.replace("{fail}", "false"))
    first = specc(repo, "run", "spec.yaml")
    assert first.returncode == 0, first.stderr
    assert "stage values: 2 ran, 0 cached of 2" in first.stdout  # plain lines: not a terminal
    assert "3 succeeded" in first.stdout

    again = specc(repo, "run", "spec.yaml")
    assert again.returncode == 0
    assert "nothing to run — 3 tasks in the store" in again.stdout

    status = specc(repo, "status")
    assert status.returncode == 0 and "cached" in status.stdout and "values" in status.stdout
    runs = specc(repo, "runs")
    assert runs.stdout.count("cli-run") == 2 and runs.stdout.count("succeeded") == 2

    (repo / "spec.yaml").write_text(SPEC.replace("{fail}", "false").replace("x: [1, 2]", "x: [1, 3]"))
    plan = specc(repo, "plan", "spec.yaml", "--tasks")
    assert "cache: 1 hit, 2 miss (1 new task; 1 upstream changed)" in plan.stdout
    assert "miss  values/x=3  (new task)" in plan.stdout and "hit   values/x=1" in plan.stdout


@pytest.mark.slow
def test_failed_tasks_exit_1_and_show_their_traceback(repo):
    (repo / "spec.yaml").write_text(SPEC.replace("{fail}", "true"))
    result = specc(repo, "run", "spec.yaml")
    assert result.returncode == 1
    assert "failed: values/x=1: ValueError: told to fail (value=1.0)" in result.stderr
    status = specc(repo, "status", "--errors")
    assert "skipped: total: upstream values/x=" in status.stdout
    assert "Traceback (most recent call last)" in status.stdout and "told to fail" in status.stdout


def test_infeasible_resources_exit_2_before_anything_runs(repo):
    import ray  # noqa: F401 - the check needs Ray's view of the machine
    spec = SPEC.replace("{fail}", "false").replace("    value: ${x}\n", "    value: ${x}\n    resources: {gpus: 1}\n")
    (repo / "spec.yaml").write_text(spec)
    result = specc(repo, "run", "spec.yaml")
    if "GPU" in result.stdout and result.returncode == 0:
        pytest.skip("this machine has a GPU")
    assert result.returncode == 2
    assert "stage values needs 1 GPU, 1 CPU per task, which no node has" in result.stderr
    assert "--allow-cpu" in result.stderr
    runs = specc(repo, "runs")
    assert "failed" in runs.stdout
