"""What a running task tells the driver: its latest progress and its new log output.

The op reports through its context (`ctx.progress(step, total, **metrics)`); the call
only stores the latest values in memory — no message, no lock, no I/O — so a training
loop may call it every step. The driver *pulls*: about once a second it asks each busy
worker (`TaskWorker.report`, a second thread of the actor) for what changed, so progress
costs one Ray call per worker per second whatever the op's step rate, and none per step.

The task's output is captured at the file-descriptor level while it runs (prints,
Python warnings, logging handlers, C++ messages: everything written to stdout and
stderr) into a local file; each report carries the bytes written since the last one,
and the task's result carries the rest. The driver appends them to the run's task logs
(runtime/task_logs.py), which is what `specc logs` reads.
"""
from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

# Bytes of a task's output the driver receives at most per report, and in all: a task
# printing without bound must not flood the driver (the rest stays in the worker's file).
REPORT_BYTES = 1 << 20
MAX_LOG_BYTES = 64 << 20


class TaskState:
    """One attempt of one task on a worker: its latest progress and its log file."""

    def __init__(self, task_id: str, attempt: int, log_path: Path | None = None):
        self.task_id, self.attempt = task_id, attempt
        self.started = time.time()
        self.log_path = log_path
        self.offset = 0            # bytes of the log already sent to the driver
        self.first: tuple[float, float] | None = None   # (time, step) of the first report
        self.latest: tuple[float, float, float | None, dict[str, Any]] | None = None
        self.sent: tuple | None = None  # the progress last sent: unchanged progress is not resent

    def progress(self, step: float, total: float | None, metrics: dict[str, Any]) -> None:
        now = time.time()
        if self.first is None:
            self.first = (now, step)
        self.latest = (now, step, total, metrics)  # one assignment: safe against the reader thread

    def snapshot(self) -> dict[str, Any] | None:
        """The latest progress as plain data, with the step rate since the first report."""
        latest, first = self.latest, self.first
        if latest is None:
            return None
        at, step, total, metrics = latest
        rate = None
        if first is not None and at > first[0] and step > first[1]:
            rate = (step - first[1]) / (at - first[0])
        return {"at": at, "step": _number(step), "total": _number(total), "rate": rate,
                "metrics": {k: _number(v) for k, v in metrics.items()}}

    def read_log(self, limit: int = REPORT_BYTES) -> str:
        """The output written since the last read (at most `limit` bytes, cut after a newline)."""
        if self.log_path is None or self.offset >= MAX_LOG_BYTES:
            return ""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.offset)
                data = f.read(min(limit, MAX_LOG_BYTES - self.offset))
        except FileNotFoundError:
            return ""
        if len(data) == limit and b"\n" in data:
            data = data[:data.rindex(b"\n") + 1]  # never split a line (or a UTF-8 character)
        self.offset += len(data)
        text = data.decode("utf-8", errors="replace")
        if self.offset >= MAX_LOG_BYTES:
            text += f"\n[specc: log truncated at {MAX_LOG_BYTES >> 20} MiB]\n"
        return text


class TaskReporter:
    """The worker's side: the task running now, read by the driver's polls."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or Path(tempfile.gettempdir()) / "specc-logs" / str(os.getpid())
        self.current: TaskState | None = None
        self.lock = threading.Lock()   # a poll and the end of a task never read the log at once

    def begin(self, task_id: str, key: str, attempt: int) -> TaskState:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{key}-{attempt}.log"
        path.write_bytes(b"")
        self.current = state = TaskState(task_id, attempt, path)
        return state

    def end(self, state: TaskState) -> str:
        """The log not sent yet; the task's file is removed."""
        with self.lock:
            self.current = None
            rest = "".join(iter(lambda: state.read_log(), ""))
        if state.log_path is not None:
            state.log_path.unlink(missing_ok=True)
        return rest

    def report(self) -> dict[str, Any] | None:
        """What changed since the last report of the running task (None when idle)."""
        with self.lock:
            state = self.current
            if state is None:
                return None
            progress = state.snapshot()
            log = state.read_log()
        changed = progress is not None and progress["at"] != (state.sent or {}).get("at")
        if not changed and not log:
            return None
        state.sent = progress
        return {"task_id": state.task_id, "attempt": state.attempt, "progress": progress if changed else None,
                "log": log}


@contextlib.contextmanager
def captured_output(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors 1 and 2) to `path` meanwhile.
    Line-buffered, so a poll sees each line as soon as it is printed."""
    streams = (sys.stdout, sys.stderr)
    for s in streams:
        _flush(s)
    saved = (os.dup(1), os.dup(2))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    buffering = [getattr(s, "line_buffering", None) for s in streams]
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        for s in streams:
            _line_buffered(s, True)
        yield
    finally:
        for s, was in zip(streams, buffering):
            _flush(s)
            if was is not None:
                _line_buffered(s, was)
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)


def _flush(stream: Any) -> None:
    with contextlib.suppress(Exception):
        stream.flush()


def _line_buffered(stream: Any, on: bool) -> None:
    with contextlib.suppress(Exception):  # not every replacement stream can be reconfigured
        stream.reconfigure(line_buffering=on)


def _number(value: Any) -> Any:
    """A metric as plain JSON data: floats (NaN and infinities as None), ints, strings."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return value if math.isfinite(value) else None
