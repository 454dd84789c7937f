"""Running a phase's tasks in the driver's own process, without Ray.

Ray's start-up (4-6 s on a small machine) dominates a spec with one or a few short tasks:
`specc run --executor local` runs every phase here instead (`auto` does so for a phase with
a lone CPU task whose output nobody watches live; the default is Ray). Everything but the process is the same as on Ray: the payloads, the
worker code (`worker.execute`), the store, the model cache and the ledger rows (task
started, attempt ended, model loads, task ended with its device-seconds), so results and
the ledger read the same. Tasks run one after another in dependency order; an op's
failure skips what depends on it. What Ray adds and this does not: parallel tasks, worker
processes (an op that kills its process kills the run), retries of dead workers, and the
capture of a task's output into its log (in-process output goes to the terminal; the log
keeps a failure's traceback for `specc logs`).
"""
from __future__ import annotations

import os
import time
from typing import Callable

from .cluster import Infeasible, Shape, check_feasible
from .scheduler import FLUSH_EVERY, Outcome
from .worker import ModelCache, execute

EXECUTORS = ("auto", "ray", "local")


def use_local(executor: str, address: str | None, todo: list[int], shapes_of: list[Shape]) -> bool:
    """Local when asked, or (auto) when not joining a cluster and one CPU task is to run."""
    if executor == "local":
        return True
    if executor == "ray" or address is not None:
        return False
    return len(todo) == 1 and all(s.gpus == 0 for s in shapes_of)


def _gpu_count() -> int:
    try:
        import torch
        return torch.cuda.device_count()
    except Exception:  # noqa: BLE001 - no usable CUDA: no GPU
        return 0


def _memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def check_local(shapes: dict[str, Shape]) -> None:
    """Every stage must fit this machine; GPUs are looked for only when a stage needs one."""
    node = {"CPU": float(os.cpu_count() or 1), "GPU": 0.0, "memory": float(_memory())}
    if any(s.gpus > 0 for s in shapes.values()):
        node["GPU"] = float(_gpu_count())
    try:
        check_feasible(shapes, [node])
    except Infeasible as exc:
        raise Infeasible(f"{exc} (--executor local runs on this machine only)") from None


class LocalScheduler:
    """The Scheduler's contract (todo in, {task index: Outcome} out), in this process."""

    def __init__(self, plan, todo: set[int], shapes: dict[str, Shape], builder, ledger, run_id: str,
                 on_event: Callable[[str, int, dict], None] | None = None, cache: ModelCache | None = None,
                 logs=None):
        self.plan, self.tasks, self.todo = plan, plan.tasks, todo
        self.shapes = shapes
        self.builder, self.ledger, self.run_id = builder, ledger, run_id
        self.emit = on_event or (lambda kind, i, info: None)
        self.cache = cache if cache is not None else ModelCache()
        self.stores: dict = {}
        self.outcomes: dict[int, Outcome] = {}
        self.logs = logs                  # runtime.task_logs.TaskLogs, or None

    def run(self) -> dict[int, Outcome]:
        flushed = time.perf_counter()
        try:
            for i in sorted(self.todo):   # the compiler lists every task after the tasks it reads
                if i in self.outcomes:
                    continue
                self.emit("tick", -1, {})
                self._run_one(i)
                if time.perf_counter() - flushed > FLUSH_EVERY:
                    self.ledger.flush()
                    flushed = time.perf_counter()
        finally:
            self.ledger.flush()
        return self.outcomes

    def _run_one(self, i: int) -> None:
        task = self.tasks[i]
        payload = self.builder.build(task, 1)
        self.ledger.task_started(self.run_id, task.id, 1, None, payload.device)
        self.emit("started", i, {"attempt": 1})
        result = execute(payload, self.cache, self.stores)
        for model, seconds in result.get("loads", ()):
            self.ledger.model_loaded(self.run_id, task.id, model, result["worker"], seconds)
        self.ledger.attempt_ended(self.run_id, task.id, 1, result["status"], result.get("error"),
                                  result.get("traceback"), result["worker"])
        shape = self.shapes[task.stage]
        device_seconds = (result["ended"] - result["started"]) * (shape.gpus or shape.cpus)
        status, error = result["status"], result.get("error")
        if self.logs is not None and status != "succeeded":   # output went to this terminal; the failure is kept
            why = result.get("traceback") or error or ""
            self.logs.append(task.id, 1, f"[specc] attempt 1 failed (in-process):\n{why.rstrip()}\n")
        self.outcomes[i] = Outcome(status, error)
        self.ledger.task_ended(self.run_id, task.id, status, device_seconds, error)
        self.emit(status, i, result)
        if status != "succeeded":
            self._skip_downstream(i, f"upstream {task.id} {status}")

    def _skip_downstream(self, i: int, reason: str) -> None:
        dead = {i}
        for j in sorted(self.todo):   # dependents come after what they read
            if j in self.outcomes or not dead.intersection(self.tasks[j].deps):
                continue
            dead.add(j)
            self.outcomes[j] = Outcome("skipped", reason)
            self.ledger.task_ended(self.run_id, self.tasks[j].id, "skipped", reason=reason)
            self.emit("skipped", j, {"reason": reason})
