"""The driver's loop: dispatch ready tasks to worker actors, collect results, repeat.

* A task is ready when every input is done (run now or found in the store).
* Workers are Ray actors, one per slot of a resource shape (a GPU, or a CPU slot);
  the driver creates them while the cluster has room and kills idle ones when no
  remaining task needs their shape (or another shape needs the room). A worker
  runs one task at a time but has up to `PIPELINE` tasks queued, so it never sits
  idle waiting for the driver's next message between two short tasks.
* Model affinity: a task that reads a model goes to the actor already holding it,
  and waits for that actor rather than loading the model a second time
  elsewhere: 50 evaluations of one checkpoint load it once.
* An op's error fails its task and skips everything downstream; a dead worker
  (Ray system failure) is replaced and its task retried up to `retries` times.
* A worker that fails to start (its constructor raised: a module it cannot import, a
  broken installation) shows the real exception and traceback, in the message and the
  ledger; the same start failure `START_FAILURES` times in a row stops the run with it
  (`WorkerStartError`) instead of retrying every task against a broken worker.

Only the driver writes the ledger, once per round (`Ledger.flush`).
"""
from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from .cluster import Shape

PIPELINE = 2           # calls in flight per worker: one running, one waiting behind it
POLL_EVERY = 1.0       # seconds between two progress/log polls of a busy worker
FLUSH_EVERY = 0.1      # seconds between ledger transactions while tasks finish quickly
# Tasks shorter than this are sent to a worker several at a time (one Ray call for a
# batch taking about this long), so Ray's per-call cost does not dominate tiny tasks.
BATCH_SECONDS = 0.05
MAX_BATCH = 64
START_FAILURES = 3     # identical worker start failures in a row that stop the run
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class WorkerStartError(RuntimeError):
    """Workers cannot start: the same constructor failure, again and again."""

    def __init__(self, message: str, traceback: str):
        super().__init__(message)
        self.traceback = traceback


def death_cause(exc: BaseException) -> tuple[str, str | None, bool]:
    """(one line, full text, whether the worker failed to start) of a dead worker's error.

    Ray reports a constructor's exception as "The actor died because of an error raised in
    its creation task ..." with the traceback in the message: the last line is the cause."""
    text = _ANSI.sub("", str(exc))
    if getattr(exc, "_actor_init_failed", False) or "error raised in its creation task" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return f"worker failed to start: {lines[-1] if lines else type(exc).__name__}", text, True
    first = text.splitlines()[0] if text else ""
    return f"worker died: {type(exc).__name__}: {first}", None, False

def _system_errors() -> tuple[type[BaseException], ...]:
    import ray.exceptions as rex
    return (rex.RayActorError, rex.WorkerCrashedError, rex.ObjectLostError, rex.NodeDiedError,
            rex.OutOfMemoryError, rex.RaySystemError, rex.ActorDiedError)


@dataclass
class Slot:
    actor: Any
    shape: Shape
    model: str | None = None          # identity of the model it holds
    tasks: list[int] = field(default_factory=list)  # in flight: running, then queued
    calls: int = 0                    # Ray calls in flight (each a batch of tasks)
    batches: list[list[int]] = field(default_factory=list)  # those calls' tasks, oldest first
    culprit: int | None = None        # when it died: the task it was most likely running


@dataclass
class Outcome:
    status: str                        # succeeded | failed | skipped
    reason: str | None = None


class Scheduler:
    def __init__(self, plan, todo: set[int], shapes: dict[str, Shape], builder, ledger, run_id: str,
                 capacity: dict[str, float], max_parallel: int | None = None, retries: int = 2,
                 on_event: Callable[[str, int, dict], None] | None = None, logs=None):
        self.plan, self.tasks = plan, plan.tasks
        self.todo = todo
        self.shapes = {i: shapes[self.tasks[i].stage] for i in todo}
        self.builder, self.ledger, self.run_id = builder, ledger, run_id
        self.capacity = {k: capacity.get(k, 0.0) for k in ("CPU", "GPU", "memory")}
        self.max_parallel = max_parallel or 10**9
        self.retries = retries
        self.emit = on_event or (lambda kind, i, info: None)
        self.errors = _system_errors()
        self.logs = logs                         # runtime.task_logs.TaskLogs, or None
        self.polls: dict[Any, Slot] = {}         # ObjectRef of a worker's report -> the worker
        self.polled: dict[int, float] = {}       # id(slot) -> when it was last asked
        self.by_id = {self.tasks[i].id: i for i in todo}
        self.start_failure: tuple[str, int] = ("", 0)   # the last start failure and its repeats

        self.outcomes: dict[int, Outcome] = {}
        self.attempts: dict[int, int] = {}       # Ray calls that carried the task
        self.charged: dict[int, int] = {}        # worker deaths blamed on the task (bounded by retries)
        self.waiting: dict[int, int] = {}
        self.dependents: dict[int, list[int]] = {}
        for i in todo:
            deps = {d for d in self.tasks[i].deps if d in todo}
            self.waiting[i] = len(deps)
            for d in deps:
                self.dependents.setdefault(d, []).append(i)
        self.models = {i: builder.model_identity(self.tasks[i]) for i in todo}
        self.ready: dict[Shape, deque[int]] = {}
        self.left: dict[Shape, int] = {}      # tasks of a shape not finished yet
        for i in sorted(todo):
            self.left[self.shapes[i]] = self.left.get(self.shapes[i], 0) + 1
            if self.waiting[i] == 0:
                self._make_ready(i)
        self.slots: list[Slot] = []
        self.running: dict[Any, tuple[Slot, list[int]]] = {}    # ObjectRef -> (slot, its batch)
        self.timing: dict[str, list[float]] = {}      # stage -> [seconds of its tasks, count]

    # -- the loop ---------------------------------------------------------------------

    def run(self) -> dict[int, Outcome]:
        try:
            return self._loop()
        finally:  # whatever happens, no worker outlives the run (a joined cluster keeps running)
            for slot in list(self.slots):
                self._kill(slot)
            self.ledger.flush()

    def _loop(self) -> dict[int, Outcome]:
        stalled = 0
        self.flushed = time.perf_counter()
        while len(self.outcomes) < len(self.todo):
            self.emit("tick", -1, {})
            self._dispatch()
            self._poll()
            if not self.running:
                stalled += 1
                if any(self.ready.values()) and stalled < 100:
                    self._release(force=True)  # idle workers of other shapes make room
                    time.sleep(0.05)
                    continue
                raise RuntimeError("scheduler stalled: tasks left but none can start")
            stalled = 0
            refs = list(self.running)
            done, _ = __import__("ray").wait(refs, num_returns=1, timeout=1.0)
            if done:  # collect everything else that finished meanwhile, in one round
                more, _ = __import__("ray").wait(refs, num_returns=len(refs), timeout=0)
                done = list(dict.fromkeys(done + more))
            for ref in done:
                self._collect(ref)
            self._collect_polls()
            if time.perf_counter() - self.flushed > FLUSH_EVERY:
                self.ledger.flush()
                self.flushed = time.perf_counter()
        return self.outcomes

    def _make_ready(self, i: int) -> None:
        self.ready.setdefault(self.shapes[i], deque()).append(i)

    # -- dispatching ------------------------------------------------------------------

    def _dispatch(self) -> None:
        for shape, queue in self.ready.items():
            if not queue:
                continue
            # Models held by workers of this shape; a model held by another shape's worker
            # does not block (that worker may wait on this shape's results).
            held = {s.model for s in self.slots if s.shape == shape and s.model is not None}
            mine = [s for s in self.slots if s.shape == shape]
            for slot in [s for s in mine if not s.tasks]:       # idle workers first
                i = self._pick(queue, slot.model, held, switch=True)
                if i is not None:  # (another idle worker may hold the model this one cannot take)
                    self._submit(slot, i, held, queue)
            while queue and self._room_for(shape):               # then new workers
                i = self._pick(queue, None, held, switch=True)
                if i is None:
                    break
                slot = self._new_slot(shape)
                mine.append(slot)
                self._submit(slot, i, held, queue)
            if queue and not self._room_for(shape):  # make room: idle workers no ready task needs
                for slot in [s for s in self.slots if not s.tasks and s.shape != shape
                             and not self.ready.get(s.shape)]:
                    self._kill(slot)
            for depth in range(1, PIPELINE):                     # then queue behind running calls
                for slot in [s for s in mine if s.calls == depth and s in self.slots]:
                    i = self._pick(queue, slot.model, held, switch=False)
                    if i is not None:
                        self._submit(slot, i, held, queue)
        self._release(force=False)

    def _pick(self, queue: deque, model: str | None, held: set, switch: bool) -> int | None:
        """The task for a worker holding `model`: one reading that model first, else one
        reading no model, else (when it may `switch` models) one no other worker holds."""
        fallback = None
        for i in queue:
            m = self.models[i]
            if m is not None and m == model:
                queue.remove(i)
                return i
            if fallback is None and (m is None or (switch and m not in held)):
                fallback = i
        if fallback is not None:
            queue.remove(fallback)
        return fallback

    def _room_for(self, shape: Shape) -> bool:
        if len(self.slots) >= self.max_parallel:  # a worker runs one task at a time
            return False
        used = {"CPU": 0.0, "GPU": 0.0, "memory": 0.0}
        for s in self.slots:
            for k, v in s.shape.total.items():  # a worker group counts all its workers
                used[k] += v
        need = shape.total
        return (used["CPU"] + need["CPU"] <= self.capacity["CPU"] + 1e-9
                and used["GPU"] + need["GPU"] <= self.capacity["GPU"] + 1e-9
                and (not need["memory"] or used["memory"] + need["memory"] <= self.capacity["memory"]))

    def _new_slot(self, shape: Shape) -> Slot:
        import ray
        from .worker import TaskWorker
        actor = ray.remote(concurrency_groups=TaskWorker.CONCURRENCY_GROUPS)(TaskWorker).options(
            **shape.ray_options(), max_restarts=0,
                                               max_task_retries=0, max_concurrency=1).remote()
        slot = Slot(actor, shape)
        self.slots.append(slot)
        return slot

    def _submit(self, slot: Slot, i: int, held: set, queue: deque) -> None:
        if self.models[i] is not None:  # from now on this worker holds (or is loading) it
            slot.model = self.models[i]
            held.add(slot.model)
        batch = [i]
        workers = sum(s.shape == slot.shape for s in self.slots)
        for _ in range(self._batch_size(self.tasks[i].stage, len(queue) + 1, workers) - 1):
            more = self._pick(queue, slot.model, held, switch=False)
            if more is None:
                break
            batch.append(more)
        payloads = []
        for j in batch:
            self.attempts[j] = self.attempts.get(j, 0) + 1
            payloads.append(self.builder.build(self.tasks[j], self.attempts[j]))
            self.ledger.task_started(self.run_id, self.tasks[j].id, self.attempts[j], None, payloads[-1].device)
            self.emit("started", j, {"attempt": self.attempts[j]})
        slot.tasks.extend(batch)
        slot.calls += 1
        slot.batches.append(batch)
        self.running[slot.actor.run_batch.remote(payloads)] = (slot, batch)

    def _batch_size(self, stage: str, ready: int, workers: int) -> int:
        """1 until tasks of the stage have been timed; then enough tasks for a call of about
        BATCH_SECONDS, never so many that other workers of the shape go without work."""
        total, n = self.timing.get(stage, (0.0, 0))
        if n < 2:
            return 1
        fair = -(-ready // max(workers, 1))
        return max(1, min(MAX_BATCH, int(BATCH_SECONDS / max(total / n, 1e-6)), fair))

    def _release(self, force: bool) -> None:
        """Kill idle workers no remaining task needs; with `force`, every idle worker whose
        shape has nothing ready (another shape is waiting for the room)."""
        for slot in [s for s in self.slots if not s.tasks]:
            if self.left.get(slot.shape, 0) == 0 or (force and not self.ready.get(slot.shape)):
                self._kill(slot)

    def _kill(self, slot: Slot) -> None:
        import ray
        if slot in self.slots:
            self.slots.remove(slot)
        for ref in [r for r, s in self.polls.items() if s is slot]:
            del self.polls[ref]
        try:
            ray.kill(slot.actor, no_restart=True)
        except Exception:  # noqa: BLE001 - already dead
            pass

    # -- progress and logs of running tasks ------------------------------------------

    def _poll(self) -> None:
        """Ask each busy worker, at most every POLL_EVERY seconds, for its running task's
        progress and new output (one small call on the actor's report thread)."""
        now = time.perf_counter()
        asking = set(map(id, self.polls.values()))
        for slot in self.slots:
            if slot.tasks and id(slot) not in asking and now - self.polled.get(id(slot), 0.0) >= POLL_EVERY:
                self.polled[id(slot)] = now
                self.polls[slot.actor.report.options(concurrency_group="report").remote()] = slot

    def _collect_polls(self) -> None:
        import ray
        if not self.polls:
            return
        done, _ = ray.wait(list(self.polls), num_returns=len(self.polls), timeout=0)
        for ref in done:
            self.polls.pop(ref, None)
            try:
                report = ray.get(ref)
            except Exception:  # noqa: BLE001 - a dead worker: its task's result says so
                continue
            i = self.by_id.get(report["task_id"]) if report else None
            if i is None:
                continue
            if self.logs is not None:
                self.logs.append(report["task_id"], report["attempt"], report["log"])
            if report["progress"] is not None:
                self.ledger.task_progress(self.run_id, report["task_id"], report["progress"])
                self.emit("progress", i, report["progress"])

    def _log_end(self, i: int, result: dict | None, error: str | None = None) -> None:
        """The rest of a finished attempt's log, and why it failed."""
        if self.logs is None:
            return
        task_id, attempt = self.tasks[i].id, self.attempts[i]
        self.logs.append(task_id, attempt, (result or {}).get("log") or "")
        why = (result or {}).get("traceback") or error
        if why and (result or {}).get("status") != "succeeded":
            self.logs.append(task_id, attempt, f"\n[specc] attempt {attempt} failed:\n{why.rstrip()}\n")

    # -- results ----------------------------------------------------------------------

    def _collect(self, ref) -> None:
        import ray
        slot, batch = self.running.pop(ref)
        slot.calls -= 1
        for i in batch:
            slot.tasks.remove(i)
        try:
            results = ray.get(ref)
        except self.errors as exc:
            error, text, at_start = death_cause(exc)
            if slot.culprit is None:  # the oldest call's first task was running when it died
                slot.culprit = slot.batches[0][0]
            slot.batches.remove(batch)
            self._kill(slot)  # its other calls in flight fail too, and are retried the same way
            if at_start:
                self._start_failed(batch, error, text)
                return
            self.start_failure = ("", 0)
            for i in batch:
                self._log_end(i, None, error)
                self._lost(i, error, charged=i == slot.culprit)
            return
        except ray.exceptions.RayTaskError as exc:  # the worker's own machinery failed (store, import)
            slot.batches.remove(batch)
            error = f"{type(exc.cause).__name__ if exc.cause else 'error'}: {str(exc.cause or exc).splitlines()[-1]}"
            for i in batch:
                self._log_end(i, None, str(exc))
                self.ledger.attempt_ended(self.run_id, self.tasks[i].id, self.attempts[i], "failed", error,
                                          str(exc))
                self._finish(i, "failed", error)
            return
        slot.batches.remove(batch)
        self.start_failure = ("", 0)   # a worker that answers started fine
        for i, result in zip(batch, results):
            self._record(i, slot, result)

    def _start_failed(self, batch: list[int], error: str, text: str) -> None:
        """A worker whose constructor raised: no task ran, none is charged; its tasks wait for
        another worker. The same failure START_FAILURES times in a row stops the run."""
        last, count = self.start_failure
        count = count + 1 if error == last else 1
        self.start_failure = (error, count)
        for i in batch:
            self._log_end(i, None, error)
            self.ledger.attempt_ended(self.run_id, self.tasks[i].id, self.attempts[i], "failed", error, text)
        if count >= START_FAILURES:
            for i in batch:
                self._finish(i, "failed", error)
            raise WorkerStartError(f"{error} ({count} workers in a row failed to start the same way; "
                                   "`specc status --errors` has the traceback)", text)
        for i in batch:
            self.emit("retry", i, {"error": error})
            self._make_ready(i)

    def _lost(self, i: int, error: str, charged: bool) -> None:
        """A task whose worker died: retried; only the task that was running pays an attempt
        (the others queued behind it, or already done, did nothing wrong)."""
        self.ledger.attempt_ended(self.run_id, self.tasks[i].id, self.attempts[i], "lost", error)
        if charged:
            self.charged[i] = self.charged.get(i, 0) + 1
        if self.charged.get(i, 0) <= self.retries:
            self.emit("retry", i, {"error": error})
            self._make_ready(i)
            return
        self._finish(i, "failed", error)

    def _record(self, i: int, slot: Slot, result: dict) -> None:
        task = self.tasks[i]
        self._log_end(i, result)
        for model, seconds in result.get("loads", ()):
            self.ledger.model_loaded(self.run_id, task.id, model, result["worker"], seconds)
        seconds = result["ended"] - result["started"]
        timing = self.timing.setdefault(task.stage, [0.0, 0])
        timing[0] += seconds
        timing[1] += 1
        # GPU-seconds for GPU work, CPU-seconds otherwise (the task's `device` says which).
        device_seconds = seconds * (slot.shape.total["GPU"] or slot.shape.total["CPU"])
        self.ledger.attempt_ended(self.run_id, task.id, self.attempts[i], result["status"],
                                  result.get("error"), result.get("traceback"), result["worker"])
        self._finish(i, result["status"], result.get("error"), device_seconds, result)

    def _finish(self, i: int, status: str, error: str | None = None, device_seconds: float = 0.0,
                result: dict | None = None) -> None:
        task = self.tasks[i]
        self.outcomes[i] = Outcome(status, error)
        self.left[self.shapes[i]] -= 1
        self.ledger.task_ended(self.run_id, task.id, status, device_seconds, error)
        self.emit(status, i, result or {"error": error})
        if status == "succeeded":
            for d in self.dependents.get(i, ()):
                self.waiting[d] -= 1
                if self.waiting[d] == 0 and d not in self.outcomes:
                    self._make_ready(d)
            return
        self._skip_downstream(i, f"upstream {task.id} {status}")

    def _skip_downstream(self, i: int, reason: str) -> None:
        stack = list(self.dependents.get(i, ()))
        while stack:
            d = stack.pop()
            if d in self.outcomes:
                continue
            self.outcomes[d] = Outcome("skipped", reason)
            self.left[self.shapes[d]] -= 1
            self.ledger.task_ended(self.run_id, self.tasks[d].id, "skipped", reason=reason)
            self.emit("skipped", d, {"reason": reason})
            stack.extend(self.dependents.get(d, ()))
