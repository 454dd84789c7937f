"""Benchmark: what specc's runtime costs on top of Ray, cold and when there is nothing to do.

Three measurements, each printed with its goal and whether this machine meets it:

overhead  N trivial tasks (default 1,000) in ONE embedded Ray started by this process
          (`ray.init(num_cpus=2)`, warmed up, start-up excluded from both sides):
          (a) bare Ray: N `@ray.remote` tasks doing the op's work (tiny_ops.run_value:
              a one-row DataFrame), then `ray.get` of all of them;
          (b) specc: `run_plan` of a compiled N-task `tiny.value` spec into a fresh store
              (cache lookup, ledger, actors, payloads, Parquet + manifest + commit per task).
          Goal: specc's run_plan <= 1.5x bare Ray. Compile time is reported on its own
          line (it is part of a `specc run`, not of the runtime) and in `specc_total`.
cold      `specc run one.yaml --plain` of a one-task spec in a fresh git repository, as
          a subprocess: Python start, imports, compile, embedded Ray start, the task,
          Ray shutdown. Goal: median < 5 s.
noop      `specc run` of an N-task spec that already ran to the end (first run not timed
          in the goal), as a subprocess. Goal: median < 3 s, and zero tasks executed
          (counted in $TINY_OPS_DIR/executions.log and checked in the ledger).

    python bench/runtime_overhead.py                      # all three, N = 1,000
    python bench/runtime_overhead.py --only overhead --repeat 3
    python bench/runtime_overhead.py --tasks 20 --repeat 1   # the smoke test's size
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "tests" / "plugins"

# The tiny test ops: enabled before specc.ops is imported and before Ray starts (its
# workers inherit this environment), here and in every `specc run` subprocess.
os.environ["SPECC_PLUGINS"] = "tiny_ops"
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(PLUGINS)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
for _flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_flag, "1")
sys.path.insert(0, str(PLUGINS))

GOAL_RATIO, GOAL_COLD_S, GOAL_NOOP_S = 1.5, 5.0, 3.0

SPEC = """\
specc: 1
name: {name}
title: Runtime overhead benchmark
question: How much does specc's runtime add to trivial tasks?
conditions:
  x: [{values}]
stages:
  values:
    op: tiny.value
    over: [x]
    value: ${{x}}
"""


def write_spec(folder: Path, name: str, tasks: int) -> Path:
    """A spec of `tasks` tiny.value tasks in a fresh git repository (store and ledger live there)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(name=name, values=", ".join(str(x) for x in range(1, tasks + 1))))
    return path


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def row(label: str, seconds: float | None, tasks: int | None = None, note: str = "",
        per_task: float | None = None) -> None:
    """seconds for the whole thing, and ms/task from `tasks` (or given as `per_task` seconds)."""
    per_task = seconds / tasks if tasks and seconds is not None else per_task
    total = f"{seconds:>9.3f}" if seconds is not None else f"{'':>9}"
    per = f"{per_task * 1e3:>9.2f}" if per_task is not None else f"{'':>9}"
    print(f"{label:<16} {total} {per}  {note}".rstrip())


def header(title: str) -> None:
    print(f"\n== {title}")
    print(f"{'what':<16} {'seconds':>9} {'ms/task':>9}  note")


# -- 1. per-task overhead against bare Ray ---------------------------------------------

class _Payload:
    params: ClassVar[dict] = {}


class _Ctx:
    """The part of a TaskContext tiny_ops.run_value touches (no execution log: not timed)."""
    key = task_id = "bare"
    payload = _Payload()

    @staticmethod
    def batch_size(requested: int) -> int:
        return requested


def bare_value(x: int):
    # specc.ops first: it loads the plugin (importing tiny_ops first would be circular).
    import specc.ops  # noqa: F401
    from tiny_ops import ValueParams, run_value
    return run_value(  # the op's own function, without specc around it
        ValueParams(value=x), _Ctx())


def bare_ray(fn, tasks: int) -> float:
    import ray
    start = time.perf_counter()
    frames = ray.get([fn.remote(x) for x in range(1, tasks + 1)])
    seconds = time.perf_counter() - start
    assert len(frames) == tasks and all(len(f) == 1 for f in frames)
    return seconds


def specc_run(folder: Path, name: str, tasks: int) -> tuple[float, float, dict | None]:
    """(compile seconds, run_plan seconds, where run_plan's time went) of a fresh N-task
    spec into a fresh store."""
    from specc.compiler import compile_spec
    from specc.runtime.run import RunOptions, run_plan
    path = write_spec(folder, name, tasks)
    start = time.perf_counter()
    plan = compile_spec(path)
    compiled, wall_start = time.perf_counter(), time.time()
    result = run_plan(plan, RunOptions(store=str(folder / "store"), argv=["bench"]))
    ran = time.perf_counter()
    assert len(plan.tasks) == tasks, len(plan.tasks)
    assert result.ok and result.counts.get("succeeded") == tasks, result.counts
    return compiled - start, ran - compiled, breakdown(plan, folder / "store", wall_start)


def breakdown(plan, store: Path, wall_start: float) -> dict | None:
    """Where run_plan's time went, from the manifests the workers wrote: the time before
    the first task started on a worker (cache lookup, ledger, actor start), the worker's
    time per task (op, Parquet, manifest, commit) and the gap between two tasks on one
    worker (the round trip through the driver). None if the manifests lack the fields."""
    import json
    per_worker: dict[str, list[tuple[float, float]]] = {}  # worker -> (started, committed) per task
    try:
        for task in plan.tasks:
            m = json.loads((store / task.key[:2] / task.key / "manifest.json").read_text())
            per_worker.setdefault(m["worker"], []).append((m["started"], m["committed"]))
    except (OSError, KeyError, ValueError):
        return None
    spans = sorted(s for spans in per_worker.values() for s in spans)
    busy = [end - begin for begin, end in spans]
    gaps = [b[0] - a[1] for w in per_worker.values() for a, b in zip(sorted(w), sorted(w)[1:])]
    return {"first_start": spans[0][0] - wall_start, "busy": statistics.median(busy),
            "gap": statistics.median(gaps) if gaps else 0.0, "workers": len(per_worker)}


def bench_overhead(tasks: int, repeat: int, tmp: Path) -> None:
    import logging

    import ray
    from specc.compiler.fingerprint import environment
    environment()  # package versions are read once per process; keep that out of the timings
    # address="local": always a fresh Ray of our own, never a cluster someone else started.
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR)
    try:
        fn = ray.remote(bare_value)
        # Warm-up, untimed: specc's driver-side imports and one small run through the
        # scheduler. specc starts its actors (worker processes) in every run: that is part
        # of what a run costs, so it stays in specc's timing.
        specc_run(tmp / "overhead-warmup", "warmup", 4)
        bare, comp, runtime, split = [], [], [], None
        for r in range(repeat):  # interleaved, so drift hits both sides alike
            # Bare side's warm-up, untimed: pooled worker processes started and their imports
            # done. Again before every timed run: specc's actors may have taken over (and
            # taken down) the idle pooled workers.
            bare_ray(fn, 20)
            bare.append(bare_ray(fn, tasks))
            c, s, split = specc_run(tmp / f"overhead-{r}", f"overhead{r}", tasks)
            comp.append(c)
            runtime.append(s)
    finally:
        ray.shutdown()
    b, c, s = (statistics.median(v) for v in (bare, comp, runtime))
    header(f"overhead: {tasks} trivial tasks, one embedded Ray (num_cpus=2), Ray start-up excluded, "
           f"median of {repeat}")
    row("bare_ray", b, tasks, "remote tasks building a one-row DataFrame; ray.get all")
    row("specc_compile", c, tasks, "compile_spec (not in the ratio)")
    row("specc_run_plan", s, tasks, "run_plan: cache lookup, ledger, actors, Parquet+manifest per task")
    row("specc_total", c + s, tasks, "compile + run_plan")
    ratio = s / b
    print(f"{'ratio':<16} {ratio:>9.2f}x  run_plan / bare Ray ({(c + s) / b:.2f}x with compile)")
    print(f"goal: specc run_plan <= {GOAL_RATIO}x bare Ray: {met(ratio <= GOAL_RATIO)}")
    if split:  # the last repeat's run, from its manifests
        print(f"where specc's run_plan time went (last run, {split['workers']} workers):")
        row("  to_first_task", split["first_start"], None, "run_plan start -> first task starts on a worker "
            "(cache lookup, ledger, actor start)")
        row("  worker_busy", None, None, "median per task on a worker: op, Parquet, manifest, commit",
            per_task=split["busy"])
        row("  worker_idle", None, None, "median gap between two tasks on a worker: round trip via driver and Ray",
            per_task=split["gap"])


# -- 2 and 3: `specc run` as a user runs it ---------------------------------------------

def specc_command() -> list[str]:
    exe = shutil.which("specc")
    return [exe] if exe else [sys.executable, "-m", "specc"]


def executions(log_dir: Path) -> int:
    log = log_dir / "executions.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def timed_run(spec: Path, log_dir: Path) -> tuple[float, str]:
    env = {**os.environ, "TINY_OPS_DIR": str(log_dir)}
    start = time.perf_counter()
    proc = subprocess.run([*specc_command(), "run", spec.name, "--plain"], cwd=spec.parent, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"specc run {spec} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout


def latest_run_statuses(repo: Path) -> dict[str, int]:
    db = sqlite3.connect(repo / ".specc" / "ledger.sqlite")
    try:
        (run_id,) = db.execute("SELECT id FROM runs ORDER BY started DESC LIMIT 1").fetchone()
        return dict(db.execute("SELECT status, count(*) FROM tasks WHERE run_id=? GROUP BY status",
                               (run_id,)).fetchall())
    finally:
        db.close()


def bench_cold(repeat: int, tmp: Path) -> None:
    times = []
    for r in range(repeat):
        folder = tmp / f"cold-{r}"  # a fresh repository: empty store, empty ledger
        spec = write_spec(folder, "one", 1)
        seconds, out = timed_run(spec, folder)
        ran = executions(folder)
        if ran != 1 or "1 succeeded" not in out:
            raise SystemExit(f"cold run: expected one task to run, executions.log has {ran}:\n{out}")
        times.append(seconds)
    med = statistics.median(times)
    header(f"cold: `specc run one.yaml --plain`, one task, fresh repository, subprocess, median of {repeat}")
    row("cold_run", med, None, f"min {min(times):.3f} s; Python start, compile, Ray start, task, Ray shutdown")
    print(f"goal: cold run < {GOAL_COLD_S:g} s: {met(med < GOAL_COLD_S)}")


def bench_noop(tasks: int, repeat: int, tmp: Path) -> None:
    folder = tmp / "noop"
    spec = write_spec(folder, "noop", tasks)
    first, _ = timed_run(spec, folder)
    if executions(folder) != tasks:
        raise SystemExit(f"noop: the first run executed {executions(folder)} tasks, expected {tasks}")
    times = []
    for _ in range(repeat):
        before = executions(folder)
        seconds, out = timed_run(spec, folder)
        ran = executions(folder) - before
        statuses = latest_run_statuses(folder)
        if ran or statuses != {"cached": tasks} or "nothing to run" not in out:
            raise SystemExit(f"noop rerun executed {ran} tasks; ledger {statuses}; output:\n{out}")
        times.append(seconds)
    med = statistics.median(times)
    header(f"noop: `specc run` of a finished {tasks}-task spec, subprocess, median of {repeat}")
    row("first_run", first, tasks, "not part of the goal: runs every task, incl. Ray start")
    row("noop_rerun", med, tasks, f"min {min(times):.3f} s; 0 tasks executed (executions.log, ledger)")
    print(f"goal: no-op rerun < {GOAL_NOOP_S:g} s with zero tasks executed: {met(med < GOAL_NOOP_S)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000, help="tasks of the overhead and noop specs")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per benchmark; the median is reported")
    parser.add_argument("--only", choices=("overhead", "cold", "noop"), action="append",
                        help="run only this benchmark (may be given more than once)")
    args = parser.parse_args()
    which = args.only or ["overhead", "cold", "noop"]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"runtime overhead benchmark: tasks={args.tasks} repeat={args.repeat} cpus={os.cpu_count()} "
          f"load average at start: {load}")
    with tempfile.TemporaryDirectory(prefix="specc-bench-") as name:
        tmp = Path(name)
        if "overhead" in which:
            bench_overhead(args.tasks, args.repeat, tmp)
        if "cold" in which:
            bench_cold(args.repeat, tmp)
        if "noop" in which:
            bench_noop(args.tasks, args.repeat, tmp)


if __name__ == "__main__":
    main()
