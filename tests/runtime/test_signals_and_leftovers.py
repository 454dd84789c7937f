"""Signals and leftovers: SIGTERM stops a run like Ctrl-C (Ray shut down, rows closed, no C++
stack dump), no ledger row is left `running`, stale .tmp folders go at start, a ledger
deleted mid-run is reported."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from runtime_helpers import Project, fan_in

from specc.runtime.ledger import Ledger, LedgerLost


def _rows(project: Project, sql: str) -> list[tuple]:
    db = sqlite3.connect(project.root / ".specc" / "ledger.sqlite")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


@pytest.mark.slow
def test_sigterm_stops_the_run_like_ctrl_c(tmp_path):
    project = Project(tmp_path)
    spec = project.write(fan_in("1, 2", values="    sleep: 60\n"))
    proc = subprocess.Popen([sys.executable, "-m", "specc", "run", str(spec), "--plain"], cwd=project.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while True:  # until a task runs on a worker
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "no task started in time"
        try:
            if _rows(project, "SELECT 1 FROM attempts WHERE status='running'"):
                break
        except sqlite3.OperationalError:  # not created yet
            pass
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, (out, err)
    assert "logging.cc" not in err and "SIGTERM received" not in err, err
    assert err.strip().splitlines()[-1] == "terminated"
    assert _rows(project, "SELECT status FROM runs") == [("interrupted",)]
    assert not _rows(project, "SELECT * FROM tasks WHERE status='running'")
    assert not _rows(project, "SELECT * FROM attempts WHERE status='running'")
    assert {s for (s,) in _rows(project, "SELECT status FROM attempts")} == {"interrupted"}


class _Interrupt:
    """A progress view that interrupts the run (or deletes its ledger) once a task runs."""

    def __init__(self, project: Project, action: str):
        self.project, self.action = project, action

    def __call__(self, plan):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def cached(self, stage, n):
        pass

    def event(self, kind, i, info):
        if kind == "started":
            time.sleep(0.3)  # the worker has the task
            if self.action == "interrupt":
                raise KeyboardInterrupt
            (self.project.root / ".specc" / "ledger.sqlite").unlink()


def test_an_interrupted_run_leaves_no_row_running(project, ray_session):
    from specc.compiler import compile_spec
    from specc.runtime.run import RunOptions, run_plan
    plan = compile_spec(project.write(fan_in("1, 2", values="    sleep: 2\n")))
    with pytest.raises(KeyboardInterrupt):
        run_plan(plan, RunOptions(argv=["test"]), _Interrupt(project, "interrupt"))
    assert _rows(project, "SELECT status FROM runs") == [("interrupted",)]
    assert not _rows(project, "SELECT * FROM tasks WHERE status='running'")
    assert not _rows(project, "SELECT * FROM attempts WHERE status='running'")
    assert _rows(project, "SELECT count(*) FROM attempts WHERE status='interrupted'") == [(1,)]


def test_rows_of_a_killed_driver_are_closed_by_the_next_run(project):
    ledger = Ledger(project.root / ".specc" / "ledger.sqlite")
    ledger.db.execute("INSERT INTO runs (id, spec, name, spec_hash, started, status, pid, host) VALUES "
                      "('dead', 's', 'n', 'h', 1, 'running', 999999999, ?)", (os.uname().nodename,))
    ledger.db.execute("INSERT INTO tasks (run_id, task_id, stage, op, key, status) VALUES "
                      "('dead', 't', 's', 'o', 'k', 'running')")
    ledger.db.execute("INSERT INTO attempts (run_id, task_id, attempt, status) VALUES ('dead', 't', 1, 'running')")
    assert ledger.close_dead_runs() == ["dead"]
    assert _rows(project, "SELECT status FROM runs") == [("interrupted",)]
    assert _rows(project, "SELECT status FROM tasks") == [("interrupted",)]
    assert _rows(project, "SELECT status FROM attempts") == [("interrupted",)]


def test_stale_tmp_folders_are_cleaned_at_start_but_not_live_ones(project, ray_session):
    from specc.runtime.store import ArtifactStore
    store = ArtifactStore(project.root / ".specc" / "store")
    stale = project.root / ".specc" / "store" / ".tmp" / f"{'a' * 64}-0123"
    live = project.root / ".specc" / "store" / ".tmp" / f"{'b' * 64}-4567"
    for folder in (stale, live):
        folder.mkdir(parents=True)
        (folder / "half-written.bin").write_bytes(b"x" * 100)
    with store.lease("b" * 64):  # a writer of another run is busy with this one
        _, result = project.run(fan_in("1"))
        assert result.ok, result.failed
        assert not stale.exists() and live.exists()
    left = sorted(p.name for p in (project.root / ".specc" / "store" / ".tmp").iterdir())
    assert store.clean_stale_tmp() == 1 and not live.exists(), left


def test_a_ledger_deleted_mid_run_is_reported(project, ray_session):
    from specc.compiler import compile_spec
    from specc.faults import environment_fault
    from specc.runtime.run import RunOptions, run_plan
    plan = compile_spec(project.write(fan_in("1, 2", values="    sleep: 1\n")))
    with pytest.raises(LedgerLost) as info:
        run_plan(plan, RunOptions(argv=["test"]), _Interrupt(project, "delete"))
    assert "was deleted during the run" in str(info.value)
    assert environment_fault(info.value) == str(info.value)   # `specc run` exits 1 with this line
