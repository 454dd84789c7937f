"""Executing one task inside a worker process, and the actor that holds models.

`execute` is the whole life of a task on a worker: a fresh folder from the store,
the op's `run` (retried with a smaller batch after an out-of-memory error), the
table written as Parquet with the condition columns, a manifest, an atomic
commit. An op's exception never escapes: it comes back as a `failed` result
with its traceback, so the driver can tell an op's bug (fail the task, skip its
dependants) from a dead worker (retry the task elsewhere).
"""
from __future__ import annotations

import contextlib
import os
import platform
import socket
import sys
import time
import traceback
from collections import OrderedDict
from typing import Any, Callable

from .context import TaskContext
from .payload import TaskPayload
from .reporting import TaskReporter, captured_output

# The smallest fraction of the requested batch size tried before an OOM is final.
MIN_BATCH_SCALE = 1 / 64


class ModelCache:
    """The models a worker holds, most recently used last; `capacity` of them at once
    (one by default: a GPU's memory is for one model and its activations)."""

    def __init__(self, capacity: int = 1):
        self.capacity = capacity
        self.models: OrderedDict[str, Any] = OrderedDict()
        self.loads: list[tuple[str, float]] = []   # (identity, seconds) since last drained

    def get(self, identity: str, loader: Callable[[], Any]) -> Any:
        if identity in self.models:
            self.models.move_to_end(identity)
            return self.models[identity]
        while len(self.models) >= self.capacity:
            self.models.popitem(last=False)
            _free_device_memory()
        t0 = time.perf_counter()
        model = loader()
        self.loads.append((identity, time.perf_counter() - t0))
        self.models[identity] = model
        return model

    def drain_loads(self) -> list[tuple[str, float]]:
        loads, self.loads = self.loads, []
        return loads


def is_out_of_memory(exc: BaseException) -> bool:
    try:
        import torch
        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
    except ImportError:
        pass
    return isinstance(exc, (MemoryError, RuntimeError)) and "out of memory" in str(exc).lower()


def _free_device_memory() -> None:
    import gc
    gc.collect()
    try:
        import torch
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute(payload: TaskPayload, cache: ModelCache, stores: dict,
            reporter: TaskReporter | None = None) -> dict[str, Any]:
    """Run one task to a committed artifact; returns a small result dict for the driver.
    Nothing raises out of here but interrupts: a failure is a `failed` result. With a
    `reporter` (on a worker actor) the task's output is captured into its log and its
    progress can be polled; the log not yet polled comes back in the result."""
    if payload.container is not None:   # a container run: the task runs inside the pinned image
        from .container import execute_in_container
        return execute_in_container(payload, cache, stores)
    started = time.time()
    result: dict[str, Any] = {"task_id": payload.task_id, "attempt": payload.attempt, "worker": worker_name(),
                              "device": _device_name(payload.device), "started": started, "backoffs": 0}
    state = reporter.begin(payload.task_id, payload.key, payload.attempt) if reporter else None
    try:
        with captured_output(state.log_path) if state else contextlib.nullcontext():
            _run(payload, cache, stores, result, state)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - reported to the driver, never lost
        result.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:2000],
                      traceback=traceback.format_exc(), ended=time.time())
    finally:
        if state is not None:
            result["log"] = reporter.end(state)
    result["loads"] = cache.drain_loads()
    return result


def _echo(line: str) -> None:
    print(line, file=sys.stderr)


def _run(payload: TaskPayload, cache: ModelCache, stores: dict, result: dict[str, Any],
         state=None) -> None:
    from specc.ops import OPS
    from .store import ArtifactStore
    store = stores.get(payload.store) or stores.setdefault(payload.store, ArtifactStore(payload.store))
    op = OPS.get(payload.op)
    with store.lease(payload.key):  # concurrent runs on one store: one of them makes each key
        if store.has(payload.key):  # made by another run while this one waited for the lease
            result.update(status="succeeded", ended=time.time(), shared=True)
            return
        _make(payload, op, store, cache, result, state)


def _make(payload: TaskPayload, op, store, cache: ModelCache, result: dict[str, Any], state=None) -> None:
    if payload.produces == "model" and cache.models:
        cache.models.clear()  # training builds its own copy: free the device for it
        _free_device_memory()
    scale = 1.0
    tracker = None
    if payload.tracking is not None:
        from .tracking import MlflowTask
        tracker = MlflowTask(payload, payload.tracking)
    while True:
        out = store.begin(payload.key)
        ctx = TaskContext(payload, store, out, cache.get, batch_scale=scale, state=state,
                          echo=_echo if state is not None else None, tracker=tracker)
        try:
            params = op.params.model_validate(payload.params)
            if payload.parallel is not None:  # N workers: a Ray Train worker group runs the op
                from .distributed import run_parallel
                value = run_parallel(op, params, payload, ctx)
            else:
                value = op.execute(params, ctx)
            _write_outputs(payload, op, value, out)
            ctx.finish_metrics(out)
            break
        except BaseException as exc:
            ctx.finish_metrics(None)
            store.abandon(out)
            if is_out_of_memory(exc) and scale / 2 >= MIN_BATCH_SCALE:
                scale, result["backoffs"] = scale / 2, result["backoffs"] + 1
                _free_device_memory()  # the model stays loaded; its activations go
                continue
            if tracker is not None:
                tracker.end(False, ctx.facts)
            raise
    ended = time.time()
    manifest = {
        "task": payload.task_id, "stage": payload.stage, "op": payload.op, "version": payload.version,
        "params": payload.params, "condition": payload.condition, "seed": payload.seed,
        "inputs": {s: [a.key for a in arts] for s, arts in payload.inputs.items()},
        "parts": payload.parts, "produces": payload.produces,
        "started": result["started"], "ended": ended, "seconds": ended - result["started"],
        "batch_scale": scale, "oom_backoffs": result["backoffs"], "logs": ctx.logs, "facts": ctx.facts,
        "environment": _environment(payload.device), "worker": worker_name(),
    }
    try:
        store.commit(payload.key, out, manifest)
    except BaseException:
        store.abandon(out)
        if tracker is not None:
            tracker.end(False, ctx.facts)
        raise
    if tracker is not None:
        tracker.end(True, ctx.facts)
    store.drop_resume_folder(payload.key)  # committed: nothing left to resume
    result.update(status="succeeded", ended=ended)


def _write_outputs(payload: TaskPayload, op, value: Any, out) -> None:
    if op.produces == "table":
        import pandas as pd
        if not isinstance(value, pd.DataFrame):
            raise TypeError(f"op {op.name} produces a table but its run returned {type(value).__name__}")
        import pyarrow as pa
        import pyarrow.parquet as pq
        table = pa.Table.from_pandas(value, preserve_index=False)  # straight to Arrow: no copy
        for axis, v in payload.condition.items():
            if axis not in table.column_names:  # the condition columns every tidy table carries
                table = table.append_column(axis, pa.array([v] * table.num_rows))
        pq.write_table(table, out / "table.parquet")
    elif not any(out.iterdir()):
        raise RuntimeError(f"op {op.name} produces a {op.produces} but wrote nothing under ctx.out")


def _device_name(device: str) -> str:
    if device == "cuda":
        try:
            import torch
            return f"cuda:{torch.cuda.get_device_name()}"
        except Exception:  # noqa: BLE001 - a name is for the record only
            return "cuda"
    return f"cpu:{platform.processor() or platform.machine()}"


def _environment(device: str) -> dict[str, Any]:
    from specc.compiler.fingerprint import environment
    from specc.containers.probe import os_name
    from specc.containers.resolve import inside_image
    env = {**environment(), "device": _device_name(device), "host": socket.gethostname(),
           "platform": platform.platform(), "os": os_name()}
    if inside_image():   # the image and OS the task ran in, as its container reported them
        env["container"] = {"image": inside_image(), "os": env["os"],
                            "engine": os.environ.get("SPECC_CONTAINER_ENGINE")}
    return env


class TaskWorker:
    """A Ray actor: runs tasks one at a time and keeps the models they read loaded.

    One actor per resource shape slot (a GPU, or a CPU slot when there is none);
    the scheduler sends it the tasks that read the model it already holds.
    """

    # `report` runs on a thread of its own (Ray concurrency group), beside the running task.
    CONCURRENCY_GROUPS = {"report": 1}

    def __init__(self, capacity: int = 1):
        # The op registry (and SPECC_PLUGINS) loads now: a worker that cannot import it fails
        # to start, with its real exception, instead of failing every task it is given.
        import specc.ops  # noqa: F401
        self.cache = ModelCache(capacity)
        self.stores: dict = {}
        self.reporter = TaskReporter()

    def ready(self) -> str:
        return worker_name()

    def run_batch(self, payloads: list[TaskPayload]) -> list[dict[str, Any]]:
        """Several tasks in one Ray call (the scheduler batches only short tasks)."""
        return [execute(p, self.cache, self.stores, self.reporter) for p in payloads]

    def report(self) -> dict[str, Any] | None:
        """The running task's progress and new output since the last call (the driver's poll)."""
        return self.reporter.report()
