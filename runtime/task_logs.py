"""The logs of a run's tasks, on the driver's disk: `.specc/runs/<run>/logs/<task id>/attempt-<n>.log`.

Workers capture each task's stdout and stderr and the driver appends what its polls and
the task's result bring back (runtime/reporting.py), so a task's log is readable while
it runs (`specc logs TASK --follow`, or `tail -f` on the file) and after, for any run
in the ledger — also when the worker was on another machine. A failed attempt's log
ends with its traceback. The folder mirrors the task id: `pretrain/model=tiny/seed=1/`.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

LOGS = "logs"


def logs_folder(specc_dir: Path, run_id: str) -> Path:
    return Path(specc_dir) / "runs" / run_id / LOGS


def task_folder(task_id: str) -> Path:
    """A task id as a relative folder: each `/`-separated part a safe file name (axis values
    are user strings: `..`, spaces or `/` inside one must not escape or nest)."""
    parts = []
    for part in task_id.split("/"):
        safe = quote(part, safe="=,+-_.@")
        parts.append(safe.replace(".", "%2E") if set(safe) <= {"."} else safe)
    return Path(*parts)


class TaskLogs:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, task_id: str, attempt: int) -> Path:
        return self.folder / task_folder(task_id) / f"attempt-{attempt}.log"

    def append(self, task_id: str, attempt: int, text: str) -> None:
        if not text:
            return
        path = self.path(task_id, attempt)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)

    def attempts(self, task_id: str) -> list[tuple[int, Path]]:
        """(attempt, path) of every log of the task, in attempt order."""
        folder = self.folder / task_folder(task_id)
        found = []
        for path in folder.glob("attempt-*.log") if folder.is_dir() else ():
            number = path.stem.partition("-")[2]
            if number.isdigit():
                found.append((int(number), path))
        return sorted(found)
