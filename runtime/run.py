"""`specc run`: compile, look up the cache, run what is missing on Ray, record it all.

    plan  = compile_spec(spec)                       (spec errors: nothing starts)
    store = ArtifactStore(--store or .specc/store)   (hits: complete artifacts)
    ledger.start_run(...)                            (every task: cached or pending)
    ray   = embedded local Ray, or --address          (only when something must run)
    check every stage fits some node                 (else fail before anything runs)
    Scheduler(...).run()                             (results into store and ledger)

A finished spec re-run touches neither Ray nor any op: every task is a hit.
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
from .store import ArtifactStore, default_store_uri


class RunSetupError(Exception):
    """The run cannot start: a store specc cannot open, a cluster it cannot reach."""


@dataclass
class RunOptions:
    address: str | None = None          # None: embedded local Ray
    store: str | None = None            # None: <repo>/.specc/store
    max_parallel: int | None = None
    allow_cpu: bool = False
    retries: int = 2                    # extra attempts after a worker dies
    num_cpus: int | None = None         # embedded Ray only (tests, small machines)
    argv: list[str] = field(default_factory=lambda: list(sys.argv))


@dataclass
class RunResult:
    run_id: str
    counts: dict[str, int]              # status -> tasks
    seconds: float
    failed: list[tuple[str, str]]       # (task id, error)
    warnings: list[str]
    phases: dict[str, float] = field(default_factory=dict)  # seconds: ray_start, tasks, ray_stop

    @property
    def ok(self) -> bool:
        return not self.failed and not self.counts.get("blocked", 0)


def specc_dir(plan) -> Path:
    return repository_root(Path(plan.path).resolve().parent) / ".specc"


def open_store(plan, uri: str | None, create: bool = True) -> ArtifactStore:
    return ArtifactStore(uri or default_store_uri(specc_dir(plan).parent), create=create)


def ledger_path(plan) -> Path:
    return specc_dir(plan) / "ledger.sqlite"


def open_ledger(plan) -> Ledger:
    return Ledger(ledger_path(plan))


def gate_reason(plan, stage: str) -> str | None:
    """Why a gated stage does not run. Gates read hypothesis verdicts, which this
    version does not compute, so a gated stage is skipped and says so."""
    when = plan.stages[stage].when
    if not when:
        return None
    return f"gate `{when}` not evaluated: hypothesis verdicts are not computed by this version"


def run_plan(plan, options: RunOptions, progress_factory: Callable | None = None) -> RunResult:
    t0 = time.time()
    try:
        store = open_store(plan, options.store)
    except (ImportError, ValueError, OSError) as exc:  # e.g. "Install s3fs to access S3"
        raise RunSetupError(f"cannot open the store {options.store!r}: {exc}") from exc
    ledger = open_ledger(plan)
    try:
        return _run(plan, options, store, ledger, progress_factory, t0)
    finally:
        ledger.close()


def _run(plan, options, store, ledger, progress_factory, t0) -> RunResult:
    statuses = cache_statuses(plan, store, ledger)
    shapes, warnings = stage_shapes(plan, options.allow_cpu)
    run_id = ledger.start_run(plan, store.uri, options.address, options.argv)
    ledger.add_tasks(run_id, [
        (t.id, t.stage, plan.stages[t.stage].op, t.key, "cached" if s.hit else "pending",
         s.reason or None, json.dumps(key_parts(plan, t))) for t, s in zip(plan.tasks, statuses)])
    todo = {i for i, s in enumerate(statuses) if not s.hit}
    counts = {"cached": len(plan.tasks) - len(todo)}
    if not todo:
        ledger.end_run(run_id, "succeeded", counts)
        return RunResult(run_id, counts, time.time() - t0, [], warnings)

    progress = progress_factory(plan) if progress_factory else None
    cluster = RayCluster(options.address, options.num_cpus)
    phases: dict[str, float] = {}
    try:
        mark = time.perf_counter()
        try:
            cluster.start()
        except (ConnectionError, TimeoutError, ValueError) as exc:
            raise RunSetupError(f"cannot reach Ray at {options.address!r}: {exc}") from exc
        phases["ray_start"] = time.perf_counter() - mark
        runnable = {plan.tasks[i].stage for i in todo if not gate_reason(plan, plan.tasks[i].stage)}
        check_feasible({s: shapes[s] for s in runnable}, cluster.nodes())
        from .scheduler import Scheduler
        builder = PayloadBuilder(plan, store.uri, cpu_only=options.allow_cpu)
        scheduler = Scheduler(plan, todo, shapes, builder, ledger, run_id, cluster.total(),
                              options.max_parallel, options.retries,
                              on_event=progress.event if progress else None)
        if progress:
            for i, s in enumerate(statuses):
                if s.hit:
                    progress.cached(plan.tasks[i].stage, 1)
            progress.__enter__()
        try:
            for i in sorted(todo):
                reason = gate_reason(plan, plan.tasks[i].stage)
                if reason:
                    scheduler.skip(i, reason)
            mark = time.perf_counter()
            outcomes = scheduler.run()
            phases["tasks"] = time.perf_counter() - mark
        finally:
            if progress:
                progress.__exit__(None, None, None)
    except (Infeasible, RunSetupError) as exc:
        ledger.end_run(run_id, "failed", {"error": str(exc)})
        raise
    except BaseException:
        ledger.end_run(run_id, "interrupted", counts)
        raise
    finally:
        mark = time.perf_counter()
        cluster.stop()
        phases["ray_stop"] = time.perf_counter() - mark
    failed = []
    for i, outcome in sorted(outcomes.items()):
        status = outcome.status
        if status == "skipped" and outcome.reason and outcome.reason.startswith("upstream"):
            status = "blocked"  # skipped because something failed: not a success
        counts[status] = counts.get(status, 0) + 1
        if outcome.status == "failed":
            failed.append((plan.tasks[i].id, outcome.reason or ""))
    result = RunResult(run_id, counts, time.time() - t0, failed, warnings, phases)
    ledger.end_run(run_id, "succeeded" if result.ok else "failed", {**counts, "phases": phases})
    return result
