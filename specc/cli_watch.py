"""Commands for watching runs: `specc logs TASK [--follow]` and `specc tensorboard RUN`.

Registered on the app in cli.py; kept apart so the main command module stays readable.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

FOLLOW_POLL = 0.5      # seconds between two reads of a followed log
FINAL = ("succeeded", "failed", "skipped", "cached")


def _ledger(where: Path):
    from specc.cli import _ledger_path, err
    from specc.runtime.ledger import Ledger
    path = _ledger_path(where)
    if not path.exists():
        err.print(f"no runs yet: {path} does not exist", markup=False)
        raise typer.Exit(1)
    return Ledger(path)


def _run(ledger, run_id: Optional[str]):
    from specc.cli import err
    found = ledger.run(run_id)
    if found is None:
        err.print(f"no run {run_id!r} in {ledger.path}" if run_id else f"no runs in {ledger.path}", markup=False)
        raise typer.Exit(1)
    return found


def logs(task: str = typer.Argument(..., help="Task id, unambiguous id prefix, or stage and axis values "
                                    "(e.g. 'pretrain seed=2')."),
         run_id: Optional[str] = typer.Option(None, "--run", help="Run id or prefix (default: the latest)."),
         follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing while the task runs."),
         attempt: Optional[int] = typer.Option(None, "--attempt", min=1, help="Only this attempt."),
         spec: Path = typer.Option(Path("."), "--in", help="A spec or folder inside the repository.")) -> None:
    """Print a task's log (its stdout and stderr) and, if it failed, its traceback."""
    from specc.cli import err, out
    from specc.runtime.task_logs import TaskLogs, logs_folder
    from specc.runtime.task_select import SelectError, select_task
    ledger = _ledger(spec)
    run = _run(ledger, run_id)
    try:
        row = select_task(ledger.tasks(run["id"]), task)
    except SelectError as exc:
        err.print(f"specc logs: {exc}", markup=False)
        raise typer.Exit(1)
    task_id, log_run = row["task_id"], run["id"]
    if row["status"] == "cached":
        log_run = ledger.ran_in(row["key"])
        if log_run is None:
            err.print(f"{task_id} was found in the store; the run that made it is not in this ledger",
                      markup=False)
            raise typer.Exit(1)
        err.print(f"{task_id}: cached in run {run['id']}; its log from run {log_run}", markup=False)
    task_logs = TaskLogs(logs_folder(ledger.path.parent, log_run))
    printed: dict[int, int] = {}   # attempt -> bytes printed

    def show_new() -> bool:
        shown = False
        for number, path in task_logs.attempts(task_id):
            if attempt is not None and number != attempt:
                continue
            if number not in printed:
                info = next((a for a in ledger.attempts(log_run, task_id) if a["attempt"] == number), {})
                out.print(f"── {task_id} · attempt {number} · {info.get('status', '?')}"
                          f"{' on ' + info['worker'] if info.get('worker') else ''} ──", markup=False)
                printed[number] = 0
            with open(path, "rb") as f:
                f.seek(printed[number])
                data = f.read()
            if data:
                printed[number] += len(data)
                out.file.write(data.decode("utf-8", errors="replace"))
                out.file.flush()
                shown = True
        return shown

    show_new()
    if follow and log_run == run["id"]:
        while True:
            current = ledger.task(run["id"], task_id) or {}
            alive = (ledger.run(run["id"]) or {}).get("status") == "running"
            if not show_new() and (current.get("status") in FINAL or not alive):
                break
            time.sleep(FOLLOW_POLL)
    if not printed:
        why = row.get("reason") or row.get("error") or ""
        err.print(f"{task_id}: no log ({row['status']}{': ' + why if why else ''})", markup=False)
        raise typer.Exit(1)


def tensorboard(run_id: Optional[str] = typer.Argument(None, help="Run id or prefix (default: the latest)."),
                port: int = typer.Option(6006, "--port", help="Port TensorBoard serves on."),
                print_only: bool = typer.Option(False, "--print", help="Link the logdir and print the "
                                                "command instead of starting TensorBoard."),
                spec: Path = typer.Option(Path("."), "--in", help="A spec or folder inside the repository.")) -> None:
    """Open a run's training metrics in TensorBoard: one TensorBoard run per task, named by its id."""
    import os
    import shlex
    import sys

    from specc.cli import err, out
    from specc.runtime.metrics import link_run
    ledger = _ledger(spec)
    run = _run(ledger, run_id)
    logdir = ledger.path.parent / "runs" / run["id"] / "tensorboard"
    found = link_run(run, ledger.tasks(run["id"]), logdir)
    if not found:
        err.print(f"run {run['id']}: no task wrote TensorBoard events (only training ops do)", markup=False)
        raise typer.Exit(1)
    local = all(not v.startswith(("s3://", "gs://", "gcs://", "az://", "abfs://")) for v in found.values())
    args = (["--logdir", str(logdir)] if local
            else ["--logdir_spec", ",".join(f"{k}:{v}" for k, v in found.items())])
    command = [sys.executable, "-m", "tensorboard.main", *args, "--port", str(port)]
    out.print(f"run {run['id']}: events of {len(found)} task(s)" + (f" linked under {logdir}" if local else ""),
              markup=False)
    if print_only:
        out.print(shlex.join(["tensorboard", *command[3:]]), markup=False)
        return
    sys.stdout.flush()
    os.execv(sys.executable, command)   # TensorBoard takes over this process (Ctrl-C ends it)
