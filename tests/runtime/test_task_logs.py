"""`specc logs`: a finished task's output, a failed task's traceback, a cached task's log
from the run that made it, and --follow on a task still running."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from typer.testing import CliRunner

from specc.cli import app
from specc.runtime.ledger import Ledger
from specc.runtime.task_logs import task_folder

pytestmark = pytest.mark.usefixtures("ray_session")
runner = CliRunner()

SPEC = """\
conditions:
  x: [1, 2]
stages:
  slow:
    op: tiny.progress
    over: [x]
    steps: 5
    step_seconds: 0.05
    fail_at: {fail_at}
"""


def logs(root, *args):
    return runner.invoke(app, ["logs", *args, "--in", str(root)])


def test_logs_of_a_finished_and_a_failed_task(project):
    # x=2 fails at step 3: `fail_at: ${x}`-style params are not needed, a null fails none
    body = SPEC.format(fail_at="null").replace("    fail_at: null\n", "") + \
        "  broken:\n    op: tiny.progress\n    steps: 5\n    step_seconds: 0\n    fail_at: 3\n"
    _, result = project.run(body)
    assert not result.ok

    done = logs(project.root, "slow x=1")
    assert done.exit_code == 0, done.output
    assert "── slow/x=1 · attempt 1 · succeeded" in done.output
    assert "starting the fake long op" in done.output
    assert all(f"step {s} loss" in done.output for s in range(1, 6))

    failed = logs(project.root, "brok")       # an id prefix
    assert failed.exit_code == 0, failed.output
    assert "step 3 loss" in failed.output and "step 4 loss" not in failed.output
    assert "attempt 1 failed:" in failed.output
    assert "Traceback (most recent call last)" in failed.output
    assert "RuntimeError: told to fail at step 3" in failed.output

    ambiguous = logs(project.root, "slow")
    assert ambiguous.exit_code == 1 and "add x=..." in ambiguous.output

    # a re-run finds `slow` in the store: its log is the first run's
    _, again = project.run(body)
    cached = logs(project.root, "slow/x=2", "--run", again.run_id)
    assert cached.exit_code == 0, cached.output
    assert f"its log from run {result.run_id}" in cached.output and "step 5 loss" in cached.output


def test_logs_follow_prints_a_running_task_until_it_ends(project):
    project.write(SPEC.format(fail_at="null").replace("x: [1, 2]", "x: [1]").replace("steps: 5", "steps: 40")
                  .replace("0.05", "0.1"))
    followed: list[subprocess.CompletedProcess] = []

    def follow():
        path = project.root / ".specc" / "ledger.sqlite"
        while True:
            if path.exists():
                ledger = Ledger(path)
                run = ledger.run()
                running = run and any(t["status"] == "running" for t in ledger.tasks(run["id"]))
                ledger.close()
                if running:
                    break
            time.sleep(0.1)
        followed.append(subprocess.run([sys.executable, "-m", "specc", "logs", "slow", "--follow",
                                        "--in", str(project.root)], capture_output=True, text=True,
                                       timeout=120, env={**os.environ, "COLUMNS": "200"}))

    thread = threading.Thread(target=follow)
    thread.start()
    _, result = project.run()
    thread.join()
    assert result.ok
    out = followed[0]
    assert out.returncode == 0, out.stderr
    assert all(f"step {s} loss" in out.stdout for s in range(1, 41))  # to the end, then it stopped


def test_task_folders_are_safe_file_names():
    assert str(task_folder("score/model=tiny/seed=2")) == "score/model=tiny/seed=2"
    assert str(task_folder("s/name=a b")) == "s/name=a%20b"
    assert str(task_folder("s/../x")) == "s/%2E%2E/x"   # a value that is `..` never climbs out
