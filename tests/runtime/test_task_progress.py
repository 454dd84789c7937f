"""A long op's progress travels worker -> driver: the plain output (at a bounded rate), the
ledger and `specc status` while it runs; its output lands in the run's task log."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from rich.console import Console

from specc.compiler import compile_spec
from specc.runtime.ledger import Ledger
from specc.runtime.progress import Progress
from specc.runtime.run import RunOptions, run_plan
from specc.runtime.task_logs import TaskLogs, logs_folder

pytestmark = pytest.mark.usefixtures("ray_session")

STEPS, STEP_SECONDS, EVERY = 30, 0.1, 0.6

SPEC = f"""\
stages:
  slow:
    op: tiny.progress
    steps: {STEPS}
    step_seconds: {STEP_SECONDS}
"""


def _status_while_running(root, seen: list[str], stop: threading.Event) -> None:
    """Poll the ledger until the running task has reported, then run `specc status`."""
    path = root / ".specc" / "ledger.sqlite"
    while not stop.is_set():
        if path.exists():
            ledger = Ledger(path)
            run = ledger.run()
            tasks = ledger.tasks(run["id"]) if run else []
            ledger.close()
            # from the second report on, a step rate (and so an ETA) is known
            if any(t["status"] == "running" and t["progress"] and json.loads(t["progress"])["rate"]
                   for t in tasks):
                env = {**os.environ, "COLUMNS": "200"}
                done = subprocess.run([sys.executable, "-m", "specc", "status", "--in", str(root)],
                                      capture_output=True, text=True, env=env, timeout=60)
                seen.append(done.stdout + done.stderr)
                return
        time.sleep(0.1)


def test_progress_reaches_plain_output_ledger_and_status(project):
    plan = compile_spec(project.write(SPEC))
    buffer = io.StringIO()
    seen: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_status_while_running, args=(project.root, seen, stop))
    watcher.start()
    t0 = time.time()
    try:
        result = run_plan(plan, RunOptions(argv=["test"]), lambda p: Progress(
            p, Console(file=buffer, width=200), live=False, task_every=EVERY))
    finally:
        stop.set()
        watcher.join()
    took = time.time() - t0
    assert result.ok

    lines = [ln for ln in buffer.getvalue().splitlines() if ln.startswith("  slow:")]
    steps = [int(re.search(r"step (\d+)/30", ln).group(1)) for ln in lines]
    assert len(lines) >= 2, buffer.getvalue()
    assert steps == sorted(steps) and steps[-1] <= STEPS
    assert all("loss" in ln for ln in lines)
    # bounded rate: at most one line per EVERY seconds of the task (plus the first)
    assert len(lines) <= (STEPS * STEP_SECONDS) / EVERY + 2

    # `specc status` during the run showed the running task's last progress
    assert seen, "the task never reported progress to the ledger while running"
    assert re.search(r"running: slow: step \d+/30 \(\d+%\) · loss [\d.]+ · ETA \d+s \(reported \d+s ago\)", seen[0]), seen[0]

    # the last progress stays in the ledger
    ledger = Ledger(project.root / ".specc" / "ledger.sqlite")
    row = ledger.task(result.run_id, "slow")
    ledger.close()
    last = json.loads(row["progress"])
    assert last["total"] == STEPS and 1 <= last["step"] <= STEPS and last["rate"] > 0

    # everything the op printed (buffered or not) and its ctx.log lines are in the task log
    log = TaskLogs(logs_folder(project.root / ".specc", result.run_id)).path("slow", 1).read_text()
    assert "starting the fake long op" in log
    assert [f"step {s} " in log for s in range(1, STEPS + 1)] == [True] * STEPS
    assert took < 30
