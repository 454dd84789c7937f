"""A worker that fails in its constructor shows the real exception and traceback, in the
message and the ledger; repeated identical start failures stop the run."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from runtime_helpers import Project, fan_in

from specc.runtime.scheduler import death_cause


def test_death_cause_reads_a_constructor_failure():
    class ActorDied(Exception):
        _actor_init_failed = True
    exc = ActorDied("The actor died because of an error raised in its creation task, \x1b[36mray::TaskWorker."
                    "__init__()\x1b[39m (pid=1)\n  File \"/x/worker.py\", line 3, in __init__\n    import specc.ops\n"
                    "ModuleNotFoundError: No module named 'specc.ops'")
    error, text, at_start = death_cause(exc)
    assert at_start and error == "worker failed to start: ModuleNotFoundError: No module named 'specc.ops'"
    assert 'File "/x/worker.py", line 3' in text and "\x1b" not in text
    error, text, at_start = death_cause(RuntimeError("worker process exited\nmore"))
    assert (error, text, at_start) == ("worker died: RuntimeError: worker process exited", None, False)


@pytest.mark.slow
def test_repeated_start_failures_stop_the_run_with_the_cause(tmp_path):
    project = Project(tmp_path)
    spec = project.write(fan_in("1, 2, 3, 4, 5, 6, 7, 8"))
    env = {**os.environ, "SPECC_PLUGINS": "tiny_ops,broken_in_workers"}
    done = subprocess.run([sys.executable, "-m", "specc", "run", str(spec), "--plain"], cwd=project.root,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "cannot run: worker failed to start: " in done.stderr, done.stderr
    assert "No module named 'specc.ops' (3 workers in a row failed to start the same way" in done.stderr
    db = sqlite3.connect(project.root / ".specc" / "ledger.sqlite")
    attempts = db.execute("SELECT status, error, traceback FROM attempts").fetchall()
    assert len(attempts) < 8 + 3     # stopped: not every task retried against broken workers
    failed = [a for a in attempts if a[0] == "failed"]
    assert failed and all(a[1].startswith("worker failed to start: ") and "No module named 'specc.ops'" in a[1]
                          for a in failed)
    assert all("broken_in_workers.py" in a[2] for a in failed)   # the real traceback
    assert db.execute("SELECT status FROM runs").fetchall() == [("failed",)]
    assert not db.execute("SELECT 1 FROM attempts WHERE status='running'").fetchall()
