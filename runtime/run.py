"""`specc run`: compile, look up the cache, run what is missing on Ray in phases, judge
the hypotheses, record it all.

    plan  = compile_spec(spec)                       (spec errors: nothing starts)
    store = ArtifactStore(--store or .specc/store)   (hits: complete artifacts)
    ledger.start_run(...)                            (every task: cached or pending)
    phase 1, 2, ...                                  (runtime/phases.py)
        run every task whose stage's gates are open  (one Scheduler over that subset)
        judge every hypothesis now decidable          (specc.verdicts.judge, one family)
        resolve gates: skip what they close           (with the gate in the reason)
    ray   = embedded local Ray, or --address          (started once, only when a task must run)
    check every stage that may run fits some node     (else fail before anything runs)

A finished spec re-run touches neither Ray nor any op: every task is a hit, and its
hypotheses are judged again from the stored tables.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from specc.compiler.datafiles import repository_root

from .cache_status import cache_statuses
from .cluster import Infeasible, RayCluster, check_feasible, stage_shapes
from .ledger import Ledger
from .payload import PayloadBuilder, key_parts
from .phases import Phases, Settled
from .store import ArtifactStore, default_store_uri
from .task_logs import TaskLogs, logs_folder


class RunSetupError(Exception):
    """The run cannot start: a lock it cannot read, a store it cannot open, a cluster it cannot reach."""


class RunEnvironmentError(RunSetupError):
    """The run cannot start for the machine's reasons (store, cluster): exit 1, not 2."""


@dataclass
class RunOptions:
    address: str | None = None          # None: embedded local Ray
    store: str | None = None            # None: <repo>/.specc/store
    max_parallel: int | None = None
    allow_cpu: bool = False
    retries: int = 2                    # extra attempts after a worker dies
    num_cpus: int | None = None         # embedded Ray only (tests, small machines)
    executor: str = "ray"               # ray | local | auto (runtime/local.py)
    argv: list[str] = field(default_factory=lambda: list(sys.argv))


@dataclass
class RunResult:
    run_id: str
    counts: dict[str, int]              # status -> tasks
    seconds: float
    failed: list[tuple[str, str]]       # (task id, error)
    warnings: list[str]
    phases: dict[str, float] = field(default_factory=dict)  # seconds: ray_start, tasks, verdicts, ray_stop
    verdicts: dict = field(default_factory=dict)            # hypothesis -> HypothesisResult, spec order
    stage_skips: dict[str, str] = field(default_factory=dict)  # stage -> why (some of) its tasks were skipped
    report: Path | None = None          # reports/<name>/results.md

    @property
    def ok(self) -> bool:
        return not self.failed and not self.counts.get("blocked", 0)


def specc_dir(plan) -> Path:
    return repository_root(Path(plan.path).resolve().parent) / ".specc"


def store_default(plan) -> str:
    return default_store_uri(specc_dir(plan).parent)


def open_store(plan, uri: str | None, create: bool = True) -> ArtifactStore:
    return ArtifactStore(uri or default_store_uri(specc_dir(plan).parent), create=create)


def ledger_path(plan) -> Path:
    return specc_dir(plan) / "ledger.sqlite"


def open_ledger(plan) -> Ledger:
    return Ledger(ledger_path(plan))


def measure_tables(plan, store, available: set[str] | None):
    """The tables the judge reads: the available tasks' artifacts and the data sources."""
    from .tables import MeasureTables
    return MeasureTables(plan, store, available)


def default_judge(plan, tables, hids, unavailable, phase, demoted=None, decided=None):
    from specc.verdicts import judge
    return judge(plan, tables, hids, unavailable, phase, demoted, decided)


def demoted_hypotheses(plan) -> dict[str, str]:
    """Confirmatory hypotheses changed since the pre-registration lock: exploratory now."""
    from specc.prereg.deviations import demoted, readers
    from specc.prereg.lock import LockError, read_lock
    try:
        lock = read_lock(plan.path, plan.spec.name)
    except LockError as exc:
        raise RunSetupError(str(exc)) from exc
    return demoted(lock, plan, readers(plan)) if lock is not None else {}


def not_tested_result(plan, hid: str, reason: str, demoted: dict[str, str] | None = None):
    """The result of a hypothesis whose own gate stayed closed: never passed to the judge.
    `rule` is the pre-registered decision rule it would have been decided by."""
    from specc.verdicts.result import NOT_TESTED, HypothesisResult
    h = plan.hypotheses[hid]
    demoted = demoted or {}
    kind = "exploratory" if hid in demoted else h.kind
    return HypothesisResult(id=hid, statement=h.statement, kind=kind, measure=h.measure_text,
                            expect=str(h.expect), status=NOT_TESTED, rule=h.rule_for(kind),
                            reason=reason, gate=str(h.gate) if h.gate else None, reads=list(h.reads),
                            demoted=demoted.get(hid), unit=h.unit,
                                  unit_inferred=h.unit_inferred)


def run_plan(plan, options: RunOptions, progress_factory: Callable | None = None,
             judge: Callable | None = None) -> RunResult:
    """Run a compiled plan. `judge(plan, tables, hids, unavailable, phase) -> {hid: HypothesisResult}`
    decides hypotheses (default: specc.verdicts.judge); `progress_factory(plan)` makes the
    progress view, created when the first task must run. The results (verdicts, condition
    tables, figures, cost, provenance, deviations from the lock) go to
    .specc/runs/<run>/results.json and reports/<name>/results.md."""
    t0 = time.time()
    try:
        store = open_store(plan, options.store)
    except (ImportError, ValueError, OSError) as exc:  # e.g. "Install s3fs to access S3"
        from specc.faults import environment_fault
        hint = environment_fault(exc) if isinstance(exc, OSError) else None
        raise RunEnvironmentError(f"cannot open the store {options.store or store_default(plan)!r}: "
                                  f"{hint or exc}") from exc
    store.clean_stale_tmp()   # left by killed writers (a live writer's lease keeps its own)
    demoted = demoted_hypotheses(plan)
    if judge is None:
        decided: dict[str, float] = {}   # the family's p-values, phase after phase

        def judge(plan, tables, hids, unavailable, phase):
            return default_judge(plan, tables, hids, unavailable, phase, demoted, decided)
    ledger = open_ledger(plan)
    try:
        result = _Run(plan, options, store, ledger, progress_factory, judge, demoted).run(t0)
        from specc.report.assemble import build_results, publish
        tables = measure_tables(plan, store, None)
        result.report = publish(plan, build_results(plan, result, ledger, tables))
        return result
    finally:
        ledger.close()


class _Run:
    def __init__(self, plan, options, store, ledger, progress_factory, judge, demoted):
        self.plan, self.options, self.store, self.ledger = plan, options, store, ledger
        self.demoted = demoted
        self.progress_factory, self.judge = progress_factory, judge
        self.progress = None
        self.cluster: RayCluster | None = None
        self.builder: PayloadBuilder | None = None
        self.timings: dict[str, float] = {}
        self.results: dict = {}                       # hypothesis -> HypothesisResult
        self.shapes, self.warnings = stage_shapes(plan, options.allow_cpu)

    def run(self, t0: float) -> RunResult:
        plan, ledger = self.plan, self.ledger
        statuses = cache_statuses(plan, self.store, ledger)
        self.book = book = Phases(plan, {i for i, s in enumerate(statuses) if s.hit})
        first = book.settle()   # before any verdict: hits of ungated stages are cached
        self.run_id = run_id = ledger.start_run(plan, self.store.uri, self.options.address, self.options.argv)
        ledger.add_tasks(run_id, [
            (t.id, t.stage, plan.stages[t.stage].op, t.key, book.status.get(i, "pending"),
             s.reason or None, json.dumps(key_parts(plan, t)))
            for i, (t, s) in enumerate(zip(plan.tasks, statuses))])
        self._record(Settled(skipped=first.skipped, not_tested=first.not_tested))
        try:
            phase = 0
            while True:
                phase += 1
                todo = book.runnable()
                if todo:
                    self._run_tasks(todo)
                hids = book.decidable()
                if hids:
                    self._judge(hids, phase)
                self._record(book.settle())
                if not todo and not hids:
                    break
            self._record(book.give_up())
        except (Infeasible, RunSetupError) as exc:
            ledger.end_run(run_id, "failed", {"error": str(exc)})
            raise
        except Exception as exc:
            ledger.end_run(run_id, "failed", {**self._counts(), "error": f"{type(exc).__name__}: {exc}"})
            raise
        except BaseException:
            ledger.end_run(run_id, "interrupted", self._counts())
            raise
        finally:
            if self.progress is not None:
                self.progress.__exit__(None, None, None)
            if self.cluster is not None:
                mark = time.perf_counter()
                self.cluster.stop()
                self.timings["ray_stop"] = time.perf_counter() - mark
        counts = self._counts()
        failed = [(plan.tasks[i].id, book.reasons.get(i, "")) for i, s in sorted(book.status.items())
                  if s == "failed"]
        verdicts = {h: self.results[h] for h in plan.spec.hypotheses if h in self.results}
        result = RunResult(run_id, counts, time.time() - t0, failed, self.warnings, self.timings,
                           verdicts, dict(book.stage_skips))
        summary = {**counts, "phases": self.timings} if self.timings else counts
        ledger.end_run(run_id, "succeeded" if result.ok else "failed", summary)
        return result

    def _counts(self) -> dict[str, int]:
        counts = {"cached": 0}
        for i, status in sorted(self.book.status.items()):
            if status == "skipped" and self.book.reasons.get(i, "").startswith("upstream"):
                status = "blocked"  # skipped because something failed: not a success
            counts[status] = counts.get(status, 0) + 1
        return counts

    # -- one phase's tasks -------------------------------------------------------------

    def _start_ray(self) -> None:
        """Ray and the feasibility check: once, when a phase runs on Ray."""
        self.cluster = RayCluster(self.options.address, self.options.num_cpus)
        mark = time.perf_counter()
        try:
            self.cluster.start()
        except (ConnectionError, TimeoutError, ValueError) as exc:
            raise RunEnvironmentError(f"cannot reach Ray at {self.options.address!r}: {exc}") from exc
        self.timings["ray_start"] = time.perf_counter() - mark
        # Every stage that may still run (gated ones too) must fit: fail before anything runs.
        check_feasible(self._remaining_shapes(), self.cluster.nodes())
        self._check_images()

    def _remaining_shapes(self) -> dict:
        stages = {self.plan.tasks[i].stage for i in self.book.unfinished() if i not in self.book.hits}
        return {s: self.shapes[s] for s in self.plan.stages if s in stages}

    def _check_images(self) -> None:
        if getattr(self.plan, "image", None) is not None and not self.cluster.embedded:
            from specc.containers.variants import ImageError
            from .image_check import check_nodes
            try:   # every node must run tasks in the pinned image (this machine was checked at compile)
                check_nodes(self.plan.image)
            except ImageError as exc:
                raise RunSetupError(str(exc)) from exc

    def _prepare(self) -> None:
        """The payload builder and the progress view: once, when the first task must run."""
        if self.builder is not None:
            return
        self.builder = PayloadBuilder(self.plan, self.store.uri, cpu_only=self.options.allow_cpu)
        if self.builder.tracking is not None:
            self.builder.tracking["run"] = self.run_id   # tags every task's MLflow run
        if self.progress_factory:
            self.progress = progress = self.progress_factory(self.plan)
            cached: dict[str, int] = {}
            for i, status in sorted(self.book.status.items()):
                if status == "cached":
                    cached[self.plan.tasks[i].stage] = cached.get(self.plan.tasks[i].stage, 0) + 1
            for stage, n in cached.items():
                progress.cached(stage, n)
            progress.__enter__()
            for i, status in sorted(self.book.status.items()):
                if status == "skipped":
                    progress.event("skipped", i, {"reason": self.book.reasons.get(i)})

    def _run_tasks(self, todo: list[int]) -> None:
        from .local import LocalScheduler, check_local, use_local
        from .scheduler import Scheduler, WorkerStartError
        shapes = [self.shapes[self.plan.tasks[i].stage] for i in todo]
        # In this process when asked, or for a lone CPU task (Ray's start would dominate it).
        local = self.cluster is None and use_local(self.options.executor, self.options.address, todo, shapes)
        if local:
            everything = self.options.executor == "local"
            check_local(self._remaining_shapes() if everything else
                        {self.plan.tasks[i].stage: self.shapes[self.plan.tasks[i].stage] for i in todo})
        elif self.cluster is None:
            self._start_ray()
        self._prepare()
        event = self.progress.event if self.progress else None
        logs = TaskLogs(logs_folder(specc_dir(self.plan), self.run_id))
        if local:
            scheduler = LocalScheduler(self.plan, set(todo), self.shapes, self.builder, self.ledger, self.run_id,
                                       on_event=event, logs=logs)
        else:
            scheduler = Scheduler(self.plan, set(todo), self.shapes, self.builder, self.ledger, self.run_id,
                                  self.cluster.total(), self.options.max_parallel, self.options.retries,
                                  on_event=event, logs=logs)
        mark = time.perf_counter()
        try:
            outcomes = scheduler.run()
        except WorkerStartError as exc:   # the machine's installation, not the spec
            raise RunEnvironmentError(str(exc)) from exc
        self.timings["tasks"] = self.timings.get("tasks", 0.0) + time.perf_counter() - mark
        for i, outcome in sorted(outcomes.items()):
            self.book.finish(i, outcome.status, outcome.reason)

    # -- verdicts ----------------------------------------------------------------------

    def _judge(self, hids: list[str], phase: int) -> None:
        mark = time.perf_counter()
        tables = measure_tables(self.plan, self.store, self.book.available())
        results = self.judge(self.plan, tables, list(hids), self.book.unavailable(hids), phase)
        missing = [h for h in hids if h not in results]
        if missing:
            raise RuntimeError(f"the judge returned no verdict for {', '.join(missing)}")
        for h in hids:
            self.results[h] = results[h]
            self.book.decide(h, results[h].status)
        self.timings["verdicts"] = self.timings.get("verdicts", 0.0) + time.perf_counter() - mark

    def _record(self, settled: Settled) -> None:
        """Write what a settle() changed: the ledger, the progress view, not-tested results."""
        for i in settled.cached:
            self.ledger.task_ended(self.run_id, self.plan.tasks[i].id, "cached")
            if self.progress is not None:
                self.progress.cached(self.plan.tasks[i].stage, 1)
        for i, reason in settled.skipped:
            self.ledger.task_ended(self.run_id, self.plan.tasks[i].id, "skipped", reason=reason)
            if self.progress is not None:
                self.progress.event("skipped", i, {"reason": reason})
        for h, reason in settled.not_tested:
            self.results[h] = not_tested_result(self.plan, h, reason, self.demoted)
        self.ledger.flush()
