"""Crash and resume: kill -9 the driver of `specc run` mid-run, run again, and get the
same results as an uninterrupted run without redoing any completed task."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from runtime_helpers import Project, fan_in, table

SPEC = fan_in("1, 2, 3, 4, 5, 6", values="    sleep: 1.5\n")


def _specc(project: Project, *args: str, **kw):
    env = {**os.environ, "TINY_OPS_DIR": str(project.root)}  # inherited by the embedded Ray
    return subprocess.Popen([sys.executable, "-m", "specc", *args], cwd=project.root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def _committed(project: Project) -> set[str]:
    return {p.parent.name for p in (project.root / ".specc" / "store").glob("??/*/manifest.json")}


@pytest.mark.slow
def test_killed_driver_then_rerun_finishes_without_redoing_work(tmp_path):
    crashed = Project(tmp_path / "crashed")
    spec = crashed.write(SPEC)
    proc = _specc(crashed, "run", str(spec), "--plain")
    deadline = time.time() + 120
    while len(_committed(crashed)) < 2:  # some tasks done, others still running
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() < deadline, "no task finished in time"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(2)  # Ray's processes share the driver's fate; give them time to go
    done_before = _committed(crashed)
    assert 2 <= len(done_before) < 7

    again = _specc(crashed, "run", str(spec), "--plain")
    output = again.communicate(timeout=300)[0]
    assert again.returncode == 0, output
    runs = Counter(key for key, *_ in crashed.executions("ran"))
    assert all(runs[key] == 1 for key in done_before), runs  # nothing completed ran twice
    assert _committed(crashed) >= done_before and len(_committed(crashed)) == 7

    from specc.compiler import compile_spec
    from specc.runtime.ledger import Ledger
    ledger = Ledger(crashed.root / ".specc" / "ledger.sqlite")
    assert [r["status"] for r in ledger.runs()] == ["succeeded", "interrupted"]

    clean = Project(tmp_path / "clean")
    clean_spec = clean.write(SPEC)
    once = _specc(clean, "run", str(clean_spec), "--plain")
    assert once.wait(timeout=300) == 0
    for task_id in ["total", *[f"values/x={x}" for x in range(1, 7)]]:
        got = table(compile_spec(spec), crashed.root / ".specc" / "store", task_id)
        want = table(compile_spec(clean_spec), clean.root / ".specc" / "store", task_id)
        cols = [c for c in got.columns if c != "pid"]  # which process ran it may differ
        assert got[cols].equals(want[cols]), task_id
