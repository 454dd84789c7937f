"""The run ledger: every run, task and attempt in one SQLite file (`.specc/ledger.sqlite`).

Only the driver writes it (workers report back to the driver), so there is no
concurrent-writer locking to get wrong. Writes are grouped: the scheduler calls
`flush()` once per round, one transaction for however many tasks moved, which
keeps a 1,000-task run from paying 1,000 fsyncs.

A run whose driver died (kill -9) stays `running` in the file; readers show it
as `interrupted` when its process is gone, and the next run to open the ledger
closes its rows for good (run, tasks and attempts `interrupted`): no row is left
`running` by a run that is over. A ledger deleted while a run writes to it is
reported (`LedgerLost`) instead of writing on into a file nobody can open.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, Iterable

from specc.faults import LedgerLost  # raised here; lives with the other faults the CLI reports

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, spec TEXT NOT NULL, name TEXT NOT NULL, profile TEXT,
    spec_hash TEXT NOT NULL, started REAL NOT NULL, ended REAL, status TEXT NOT NULL,
    pid INTEGER, host TEXT, address TEXT, store TEXT, tasks INTEGER, argv TEXT,
    specc_version TEXT, summary TEXT
);
CREATE TABLE IF NOT EXISTS tasks (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, stage TEXT NOT NULL, op TEXT NOT NULL,
    key TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, attempts INTEGER DEFAULT 0,
    started REAL, ended REAL, device TEXT, device_seconds REAL DEFAULT 0, error TEXT,
    parts TEXT, progress TEXT, PRIMARY KEY (run_id, task_id)
);
CREATE TABLE IF NOT EXISTS attempts (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, attempt INTEGER NOT NULL,
    started REAL, ended REAL, status TEXT NOT NULL, worker TEXT, device TEXT,
    error TEXT, traceback TEXT, PRIMARY KEY (run_id, task_id, attempt)
);
CREATE TABLE IF NOT EXISTS model_loads (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, model TEXT NOT NULL, worker TEXT, seconds REAL
);
CREATE INDEX IF NOT EXISTS tasks_by_spec_task ON tasks (task_id, run_id);
"""

FINAL = ("succeeded", "failed", "interrupted")


class Ledger:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")    # readers (specc status) never block the driver
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, fast
        self.db.executescript(SCHEMA)
        columns = {r["name"] for r in self.db.execute("PRAGMA table_info(tasks)")}
        if "progress" not in columns:  # a ledger written before tasks reported progress
            self.db.execute("ALTER TABLE tasks ADD COLUMN progress TEXT")
        self._pending: list[tuple[str, tuple]] = []
        self._inode = _inode(self.path)   # to notice the file being deleted under us
        self.lost = False

    def _check_file(self) -> None:
        """Raise LedgerLost (once) when the file is gone or another file took its place:
        SQLite would write on into the deleted file and the run's record would vanish."""
        if self.lost:
            return
        if _inode(self.path) != self._inode:
            self.lost = True
            raise LedgerLost(f"the ledger {self.path} was deleted during the run: this run's record is "
                             "lost (its artifacts are in the store; `specc run` again records a new run)")

    def close(self) -> None:
        try:
            if not self.lost:
                self.flush()
        finally:
            self.db.close()

    # -- writing (driver only) --------------------------------------------------------

    def start_run(self, plan, store: str, address: str | None, argv: Iterable[str]) -> str:
        from specc import __version__
        self.close_dead_runs()
        run_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
        self.db.execute(
            "INSERT INTO runs (id, spec, name, profile, spec_hash, started, status, pid, host, address,"
            " store, tasks, argv, specc_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, str(Path(plan.path).resolve()), plan.spec.name, plan.profile, plan.spec_hash,
             time.time(), "running", os.getpid(), socket.gethostname(), address, store,
             len(plan.tasks), json.dumps(list(argv)), __version__))
        return run_id

    def add_tasks(self, run_id: str, rows: Iterable[tuple]) -> None:
        """rows: (task_id, stage, op, key, status, reason, parts-json)."""
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO tasks (run_id, task_id, stage, op, key, status, reason, parts)"
            " VALUES (?,?,?,?,?,?,?,?)", [(run_id, *r) for r in rows])
        self.db.execute("COMMIT")

    def task_started(self, run_id: str, task_id: str, attempt: int, worker: str, device: str) -> None:
        now = time.time()
        self._pending.append(("UPDATE tasks SET status='running', attempts=?, started=coalesce(started, ?),"
                              " device=? WHERE run_id=? AND task_id=?",
                              (attempt, now, device, run_id, task_id)))
        self._pending.append(("INSERT OR REPLACE INTO attempts (run_id, task_id, attempt, started, status,"
                              " worker, device) VALUES (?,?,?,?,?,?,?)",
                              (run_id, task_id, attempt, now, "running", worker, device)))

    def attempt_ended(self, run_id: str, task_id: str, attempt: int, status: str, error: str | None = None,
                      traceback: str | None = None, worker: str | None = None) -> None:
        self._pending.append(("UPDATE attempts SET ended=?, status=?, error=?, traceback=?,"
                              " worker=coalesce(?, worker) WHERE run_id=? AND task_id=? AND attempt=?",
                              (time.time(), status, error, traceback, worker, run_id, task_id, attempt)))

    def task_ended(self, run_id: str, task_id: str, status: str, device_seconds: float = 0.0,
                   error: str | None = None, reason: str | None = None) -> None:
        self._pending.append(("UPDATE tasks SET status=?, ended=?, device_seconds=device_seconds+?,"
                              " error=?, reason=coalesce(?, reason) WHERE run_id=? AND task_id=?",
                              (status, time.time(), device_seconds, error, reason, run_id, task_id)))

    def task_progress(self, run_id: str, task_id: str, progress: dict[str, Any]) -> None:
        """The latest progress a running task reported (step, total, rate, metrics, at)."""
        self._pending.append(("UPDATE tasks SET progress=? WHERE run_id=? AND task_id=?",
                              (json.dumps(progress), run_id, task_id)))

    def model_loaded(self, run_id: str, task_id: str, model: str, worker: str, seconds: float) -> None:
        self._pending.append(("INSERT INTO model_loads VALUES (?,?,?,?,?)",
                              (run_id, task_id, model, worker, seconds)))

    def flush(self) -> None:
        if self.lost:
            self._pending.clear()
            return
        if not self._pending:
            return
        self._check_file()
        pending, self._pending = self._pending, []
        self.db.execute("BEGIN")
        try:
            for sql, args in pending:
                self.db.execute(sql, args)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def end_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        """Close the run; any task or attempt row still `running` (an interrupt, a crash of
        the driver's loop) is closed as `interrupted` in the same transaction."""
        if self.lost:
            return
        self.flush()
        self._close_rows([run_id], status, summary)

    def close_dead_runs(self) -> list[str]:
        """Close the rows of runs whose driver died (kill -9) without closing them."""
        rows = self.db.execute("SELECT id, pid, host FROM runs WHERE status='running'").fetchall()
        dead = [r["id"] for r in rows if not _alive(r["pid"], r["host"])]
        if dead:
            self._close_rows(dead, "interrupted", None)
        return dead

    def _close_rows(self, run_ids: list[str], status: str, summary: dict[str, Any] | None) -> None:
        now = time.time()
        self.db.execute("BEGIN")
        try:
            for run_id in run_ids:
                self.db.execute("UPDATE attempts SET status='interrupted', ended=coalesce(ended, ?)"
                                " WHERE run_id=? AND status='running'", (now, run_id))
                self.db.execute("UPDATE tasks SET status='interrupted', ended=coalesce(ended, ?)"
                                " WHERE run_id=? AND status='running'", (now, run_id))
                self.db.execute("UPDATE runs SET ended=coalesce(ended, ?), status=?,"
                                " summary=coalesce(?, summary) WHERE id=?",
                                (now, status, None if summary is None else json.dumps(summary), run_id))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- reading ----------------------------------------------------------------------

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,)).fetchall()
        return [_with_liveness(dict(r)) for r in rows]

    def run(self, run_id: str | None = None) -> dict[str, Any] | None:
        """A run by id or unique id prefix; the latest run when None."""
        if run_id is None:
            row = self.db.execute("SELECT * FROM runs ORDER BY started DESC LIMIT 1").fetchone()
        else:
            found = self.db.execute("SELECT * FROM runs WHERE id LIKE ? ORDER BY started DESC",
                                    (run_id + "%",)).fetchall()
            row = found[0] if len(found) == 1 else None
        return _with_liveness(dict(row)) if row else None

    def tasks(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM tasks WHERE run_id=? ORDER BY rowid", (run_id,)).fetchall()
        return [dict(r) for r in rows]

    def task(self, run_id: str, task_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM tasks WHERE run_id=? AND task_id=?", (run_id, task_id)).fetchone()
        return dict(row) if row else None

    def ran_in(self, key: str) -> str | None:
        """The latest run in which the task with this cache key ran to success (a cached
        task's log is that run's)."""
        row = self.db.execute("SELECT t.run_id FROM tasks t JOIN runs r ON r.id = t.run_id WHERE t.key=?"
                              " AND t.status='succeeded' ORDER BY r.started DESC LIMIT 1", (key,)).fetchone()
        return row["run_id"] if row else None

    def attempts(self, run_id: str, task_id: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM attempts WHERE run_id=?", [run_id]
        if task_id is not None:
            sql, args = sql + " AND task_id=?", args + [task_id]
        return [dict(r) for r in self.db.execute(sql + " ORDER BY rowid", args).fetchall()]

    def model_loads(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM model_loads WHERE run_id=?", (run_id,)).fetchall()
        return [dict(r) for r in rows]

    def last_seen(self, spec_path: str) -> dict[str, dict[str, Any]]:
        """Per task id: key, parts and status from the latest run of this spec that had it
        (for `specc plan` to say why a task is a cache miss)."""
        rows = self.db.execute(
            "SELECT t.task_id, t.key, t.parts, t.status FROM tasks t JOIN runs r ON r.id = t.run_id"
            " WHERE r.spec = ? ORDER BY r.started", (str(Path(spec_path).resolve()),)).fetchall()
        return {r["task_id"]: {"key": r["key"], "parts": json.loads(r["parts"] or "{}"),
                               "status": r["status"]} for r in rows}


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _with_liveness(run: dict[str, Any]) -> dict[str, Any]:
    if run["status"] == "running" and not _alive(run.get("pid"), run.get("host")):
        run["status"] = "interrupted"
    return run


def _alive(pid: int | None, host: str | None) -> bool:
    if not pid or host != socket.gethostname():
        return host != socket.gethostname()  # another machine's run: cannot tell, assume alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
