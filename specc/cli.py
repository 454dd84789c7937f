"""The `specc` command line (typer + rich).

Spec problems print as `file:line:col: message` and exit with code 2; a bug in
specc itself prints one line (SPECC_DEBUG=1 shows the traceback) and exits 3.
Never a traceback for a user's mistake.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from specc.compiler.errors import SpecErrors
from specc.terminal import SafeConsole

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="specc: compile a research spec into a reproducible, cached run.")
# Piped output (CI logs, files) gets wide tables instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
# Safe consoles: a name or message holding terminal escape sequences is shown, never obeyed.
out = SafeConsole(highlight=False, soft_wrap=True, width=_WIDTH)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)

EXIT_SPEC_ERROR = 2
EXIT_INTERNAL = 3

ProfileOpt = typer.Option(None, "--profile", "-p", help="Apply a named profile from the spec (e.g. smoke).")
RootOpt = typer.Option(None, "--data-root", help="Extra folder the spec may read data from (repeatable).")
StoreOpt = typer.Option(None, "--store", help="Artifact store: a folder or fsspec URI (default .specc/store).")


def _print_diagnostics(diags) -> None:
    for d in diags:
        err.print(str(d), markup=False)


ContainerOpt = typer.Option(False, "--container", help="Run every task inside the image pinned in "
                            "containers/image.lock (as `runtime: {container: cpu}` in the spec does).")
VariantOpt = typer.Option(None, "--variant", help="The image variant for --container: cpu or cuda "
                          "(default: the spec's runtime.container, else cpu).")
EngineOpt = typer.Option(None, "--engine", help="Container engine: podman or docker.")
AllowImageOpt = typer.Option(False, "--allow-image-change", help="Run even when the image differs from "
                             "containers/image.lock; the difference is reported as a deviation.")


def _container_request(container: bool, variant: Optional[str], engine: Optional[str], allow: bool):
    from specc.containers.resolve import ContainerRequest
    return ContainerRequest(enabled=True if container else None, variant=variant, engine=engine,
                            allow_change=allow)


def _compile(spec: Path, profile: Optional[str], roots: Optional[List[str]], container=None):
    from specc.compiler import compile_spec  # loads the op registry (and SPECC_PLUGINS)
    try:
        plan = compile_spec(spec, profile=profile, data_roots=tuple(roots or ()), container=container)
    except SpecErrors as exc:
        _print_diagnostics(exc.diagnostics)
        n = len(exc.diagnostics)
        err.print(f"{spec}: {n} problem{'s' if n != 1 else ''}", markup=False)
        return None
    _print_diagnostics(plan.warnings)
    return plan


@app.command()
def validate(specs: List[Path] = typer.Argument(..., help="Spec files."),
             profile: Optional[str] = ProfileOpt, data_root: Optional[List[str]] = RootOpt) -> None:
    """Check specs without running anything; print every problem."""
    from specc.containers.resolve import ContainerRequest
    failed = 0
    for spec in specs:   # the spec alone: whether its image is built here is for plan and run to say
        plan = _compile(spec, profile, data_root, ContainerRequest(enabled=False))
        if plan is None:
            failed += 1
            continue
        if not _design_check(plan):
            failed += 1
            continue
        out.print(f"{spec}: ok — {len(plan.stages)} stages, {len(plan.tasks)} tasks, "
                  f"{len(plan.spec.hypotheses)} hypotheses, ~{plan.total_gpu_hours:.3g} GPU-h", markup=False)
    if failed:
        raise typer.Exit(EXIT_SPEC_ERROR)


@app.command()
def plan(spec: Path = typer.Argument(..., help="Spec file."), profile: Optional[str] = ProfileOpt,
         data_root: Optional[List[str]] = RootOpt,
         as_json: bool = typer.Option(False, "--json", help="Print the whole plan (every task) as JSON."),
         tasks: bool = typer.Option(False, "--tasks", help="List every task: key, hit or miss, and why."),
         store: Optional[str] = StoreOpt, container: bool = ContainerOpt, variant: Optional[str] = VariantOpt,
         engine: Optional[str] = EngineOpt, allow_image_change: bool = AllowImageOpt) -> None:
    """Show the task graph: tasks, resources and estimated GPU-hours per stage."""
    compiled = _compile(spec, profile, data_root, _container_request(container, variant, engine, allow_image_change))
    if compiled is None:
        raise typer.Exit(EXIT_SPEC_ERROR)
    if as_json:
        sys.stdout.write(compiled.to_json() + "\n")
        return
    b = compiled.spec.budget
    table = Table(title=f"{compiled.spec.name}" + (f" (profile {profile})" if profile else ""))
    numeric = ("tasks", "gpus", "cpus", "world", "tokens", "est. GPU-h")
    for col in ("stage", "op", "tasks", "over", "gpus", "cpus", "world", "tokens", "est. GPU-h"):
        table.add_column(col, justify="right" if col in numeric else "left")
    for row in compiled.stage_rows():
        table.add_row(row["stage"], row["op"], str(row["tasks"]), ", ".join(row["over"]) or "-",
                      f"{row['gpus']:g}", f"{row['cpus']:g}", _world(row), f"{row['tokens']:.3g}",
                      f"{row['gpu_hours']:.3g}")
    out.print(table)
    budget = f" of a {b.gpu_hours:g} GPU-h budget" if b.gpu_hours else ""
    out.print(f"total: {len(compiled.tasks)} tasks, ~{compiled.total_gpu_hours:.3g} GPU-h{budget} "
              f"(at {b.device_tflops:g} TFLOP/s x {b.utilization:g} utilisation, {b.device})", markup=False)
    out.print("\n```mermaid\n" + compiled.mermaid() + "\n```", markup=False)
    _print_design(compiled)
    _print_cache(compiled, store, tasks)


def _design_check(plan) -> bool:
    """Print the design warnings (errors under decision.min_power); False when there are errors."""
    from specc.design import design_diagnostics, design_problems
    problems = design_problems(plan, design_diagnostics(plan))
    _print_diagnostics(problems)
    return not any(d.severity == "error" for d in problems)


def _print_design(plan) -> None:
    """Per confirmatory hypothesis: units, alpha, minimal detectable effect, power."""
    from specc.design import design_diagnostics, design_problems
    designs = design_diagnostics(plan)
    if not designs:
        return
    table = Table(title="design diagnostics (confirmatory hypotheses)")
    for col in ("hypothesis", "units", "alpha", "MDE (80% power)", "assumed", "power", "warnings"):
        table.add_column(col, justify="left" if col in ("hypothesis", "assumed") else "right")
    for hid, d in designs.items():
        assumed = ", ".join(f"{k} {v:g}" for k, v in (d.assumed or {}).items()) or "-"
        table.add_row(hid, "?" if d.units is None else f"{d.units:,}", f"{d.alpha:.3g}", d.mde_text, assumed,
                      "-" if d.power is None else f"{d.power:.2f}", str(len(d.warnings)))
    out.print(table)
    _print_diagnostics(design_problems(plan, designs))


def _world(row: dict) -> str:
    """A stage's world size: "1", "8 DDP/FSDP (auto)", "16 = 2x8 nodes, hybrid"."""
    n = row["world_size"]
    if n <= 1:
        return "1"
    nodes = f" = {n // row['gpus_per_node']}x{row['gpus_per_node']}" if row["gpus_per_node"] else ""
    kind = "" if row["gpus"] > 0 else " cpu"
    return f"{n}{kind}{nodes}, {row['sharding']}"


def _print_cache(compiled, store_uri: Optional[str], every_task: bool) -> None:
    """Hit or miss per task against the store, and the reason for each miss."""
    from specc.runtime.cache_status import cache_statuses
    from specc.runtime.run import ledger_path, open_ledger, open_store
    # Read-only: planning never creates a ledger or a store.
    ledger = open_ledger(compiled) if ledger_path(compiled).exists() else None
    try:
        statuses = cache_statuses(compiled, open_store(compiled, store_uri, create=False), ledger)
    finally:
        if ledger is not None:
            ledger.close()
    hits = sum(s.hit for s in statuses)
    reasons: dict[str, int] = {}
    for s in statuses:
        if not s.hit:
            reasons[s.reason] = reasons.get(s.reason, 0) + 1
    why = "; ".join(f"{n} {r}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
    out.print(f"cache: {hits} hit, {len(statuses) - hits} miss" + (f" ({why})" if why else ""), markup=False)
    if every_task:
        for t, s in zip(compiled.tasks, statuses):
            state = "hit " if s.hit else "miss"
            out.print(f"{t.key[:12]}  {state}  {t.id}" + (f"  ({s.reason})" if s.reason else ""), markup=False)


def _stops_on_sigterm(command):
    """SIGTERM stops the command like Ctrl-C (Ray shut down, the ledger's rows closed as
    interrupted), then exits 128 + 15 with one line, never Ray's C++ stack dump."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from specc import faults
        faults.terminate_like_interrupt()
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt as exc:
            signum = exc.signum if isinstance(exc, faults.Terminated) else (faults.received or [0])[-1]
            if not signum:
                raise
            err.print("terminated")
            raise typer.Exit(128 + signum) from None
    return wrapper


@app.command()
@_stops_on_sigterm
def run(spec: Path = typer.Argument(..., help="Spec file."), profile: Optional[str] = ProfileOpt,
        data_root: Optional[List[str]] = RootOpt, store: Optional[str] = StoreOpt,
        address: Optional[str] = typer.Option(None, "--address", help="Join a Ray cluster: auto or "
                                              "ray://host:port (default: an embedded local Ray)."),
        max_parallel: Optional[int] = typer.Option(None, "--max-parallel", min=1,
                                                   help="At most this many tasks at once."),
        allow_cpu: bool = typer.Option(False, "--allow-cpu", help="Run every GPU stage on CPU (for machines without a GPU)."),
        retries: int = typer.Option(2, "--retries", min=0, help="Retries of a task whose worker died."),
        plain: bool = typer.Option(False, "--plain", help="Log lines instead of the live view."),
        container: bool = ContainerOpt, variant: Optional[str] = VariantOpt, engine: Optional[str] = EngineOpt,
        allow_image_change: bool = AllowImageOpt,
        executor: str = typer.Option("ray", "--executor", help="ray (default): on Ray; local: in this process, "
                                     "one task at a time, no Ray start; auto: local for a lone CPU task.")) -> None:
    """Run a spec: execute every task not already in the store, on Ray (or in this process)."""
    from specc.runtime.cluster import Infeasible
    from specc.runtime.progress import Progress
    from specc.runtime.run import RunEnvironmentError, RunOptions, RunSetupError, run_plan
    compiled = _compile(spec, profile, data_root, _container_request(container, variant, engine, allow_image_change))
    # Power is checked before running only when the spec demands it (validate shows the rest).
    if compiled is None or (compiled.spec.decision.min_power is not None and not _design_check(compiled)):
        raise typer.Exit(EXIT_SPEC_ERROR)
    if compiled.image is not None:
        im = compiled.image
        out.print(f"{spec}: tasks run in the {im.variant} image {im.digest} ({im.engine or 'this container'})",
                  markup=False)
        for d in im.deviations:
            err.print(f"warning: image differs from {im.lock_file}: {d['now']} instead of {d['locked']} "
                      f"({d['path']}); reported as a deviation", markup=False)
    from specc.runtime.local import EXECUTORS
    if executor not in EXECUTORS:
        err.print(f"--executor: expected one of {', '.join(EXECUTORS)}, got {executor!r}", markup=False)
        raise typer.Exit(EXIT_SPEC_ERROR)
    if executor == "local" and address:
        err.print("--executor local runs in this process: it does not combine with --address", markup=False)
        raise typer.Exit(EXIT_SPEC_ERROR)
    options = RunOptions(address=address, store=store, max_parallel=max_parallel, allow_cpu=allow_cpu,
                         retries=retries, executor=executor)
    try:
        result = run_plan(compiled, options, lambda p: Progress(p, out, live=False if plain else None))
    except (Infeasible, RunSetupError) as exc:
        err.print(f"{spec}: cannot run: {exc}", markup=False)
        raise typer.Exit(1 if isinstance(exc, RunEnvironmentError) else EXIT_SPEC_ERROR)
    for line in result.warnings:
        err.print(f"warning: {line}", markup=False)
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items() if n)
    if not any(n for k, n in result.counts.items() if k not in ("cached", "skipped")):
        skipped = result.counts.get("skipped", 0)
        out.print(f"{spec}: nothing to run — {result.counts['cached']} tasks in the store"
                  + (f", {skipped} skipped by gates" if skipped else "") + f" (run {result.run_id})",
                  markup=False)
    else:
        took = ", ".join(f"{k.replace('_', ' ')} {v:.1f}s" for k, v in result.phases.items())
        out.print(f"{spec}: run {result.run_id}: {counts} in {result.seconds:.1f}s ({took})", markup=False)
    _print_verdicts(result, result.report)
    for task_id, error in result.failed:
        err.print(f"  failed: {task_id}: {error}", markup=False)
    if result.failed:
        err.print(f"  tracebacks: specc status {result.run_id} --errors", markup=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def prereg(spec: Path = typer.Argument(..., help="Spec file."), profile: Optional[str] = ProfileOpt,
           data_root: Optional[List[str]] = RootOpt,
           amend: bool = typer.Option(False, "--amend", help="Record an amendment to an existing lock."),
           reason: Optional[str] = typer.Option(None, "--reason", help="Why the lock is amended (required "
                                                "with --amend; kept in the lock and the report).")) -> None:
    """Freeze the pre-registration: specs/<name>.lock.json and reports/<name>/preregistration.md."""
    from specc.prereg.lock import LockError
    from specc.prereg.report import write_preregistration
    if amend and not (reason or "").strip():
        err.print(f"{spec}: --amend needs --reason \"why the pre-registration changes\"", markup=False)
        raise typer.Exit(EXIT_SPEC_ERROR)
    if reason and not amend:
        err.print(f"{spec}: --reason is for --amend; to freeze a first lock leave it out", markup=False)
        raise typer.Exit(EXIT_SPEC_ERROR)
    compiled = _compile(spec, profile, data_root)
    if compiled is None or not _design_check(compiled):
        raise typer.Exit(EXIT_SPEC_ERROR)
    after = _runs_with_results(compiled)
    if after:
        err.print(f"warning: {spec}: the ledger already holds {after['runs']} run(s) of this spec with "
                  f"verdicts (latest {after['latest']}): this pre-registration comes after results were "
                  "seen, and the lock records it", markup=False)
    try:
        report, lock = write_preregistration(compiled, spec, amend_reason=reason if amend else None,
                                             after_results=after)
    except LockError as exc:
        err.print(f"{spec}: {exc}", markup=False)
        raise typer.Exit(1)
    what = f"amended ({len(lock.amendments)} amendment(s))" if amend else "frozen"
    out.print(f"{spec}: pre-registration {what}: lock {lock.path} (hash {lock.hash[:12]}, "
              f"{lock.frozen_at}); report {report}", markup=False)


def _runs_with_results(compiled) -> dict | None:
    """The ledger's finished runs of this spec (each decided its hypotheses), or None."""
    from specc.runtime.run import ledger_path
    path = ledger_path(compiled)
    if not path.exists():
        return None
    from specc.runtime.ledger import Ledger
    ledger = Ledger(path)
    try:
        rows = ledger.db.execute("SELECT id FROM runs WHERE spec=? AND status IN ('succeeded', 'failed')"
                                 " ORDER BY started", (str(Path(compiled.path).resolve()),)).fetchall()
    finally:
        ledger.close()
    return {"runs": len(rows), "latest": rows[-1]["id"]} if rows else None


@app.command()
def report(run_id: str = typer.Argument(..., help="Run id or unique prefix (see `specc runs`)."),
           spec: Path = typer.Option(Path("."), "--in", help="A spec or folder inside the repository.")) -> None:
    """Re-render a run's results report from its stored results (nothing is recomputed)."""
    from specc.compiler.datafiles import repository_root
    from specc.prereg.lock import LockError
    from specc.report.results import ReportError, report_run
    folder = spec if spec.is_dir() else spec.parent
    try:
        path = report_run(run_id, repository_root(folder))
    except ReportError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1)
    except LockError as exc:   # a lock edited by hand: no report rendered against it
        err.print(f"specc report: {exc}", markup=False)
        raise typer.Exit(EXIT_SPEC_ERROR)
    out.print(f"report: {path}", markup=False)


def _print_verdicts(result, report_path) -> None:
    icons = {"supported": "✅", "refuted": "❌", "inconclusive": "⚠️", "not tested": "⏭️"}
    for hid, v in result.verdicts.items():
        est = "" if v.estimate is None else f" {v.estimate:.4g}"
        iv = f" [{v.interval.low:.4g}, {v.interval.high:.4g}]" if v.interval else ""
        why = f" — {v.reason}" if v.reason and v.status in ("inconclusive", "not tested") else ""
        kind = "" if v.kind == "confirmatory" else f" ({v.kind})"
        out.print(f"  {icons.get(v.status, '?')} {hid}{kind}: {v.status}{est}{iv} (expect {v.expect}){why}",
                  markup=False)
    if report_path:
        out.print(f"  report: {report_path}", markup=False)


@app.command()
def status(run_id: Optional[str] = typer.Argument(None, help="Run id or prefix (default: the latest)."),
           spec: Path = typer.Option(Path("."), "--in", help="A spec or folder inside the repository."),
           errors: bool = typer.Option(False, "--errors", help="Show tracebacks of failed attempts.")) -> None:
    """Show one run from the ledger: its tasks by stage and status."""
    from specc.runtime.ledger import Ledger
    path = _ledger_path(spec)
    if not path.exists():
        err.print(f"no runs yet: {path} does not exist", markup=False)
        raise typer.Exit(1)
    ledger = Ledger(path)
    found = ledger.run(run_id)
    if found is None:
        err.print(f"no run {run_id!r} in {ledger.path}" if run_id else f"no runs in {ledger.path}", markup=False)
        raise typer.Exit(1)
    tasks = ledger.tasks(found["id"])
    out.print(f"run {found['id']} of {found['name']} ({found['spec']}): {found['status']}", markup=False)
    table = Table()
    statuses = sorted({t["status"] for t in tasks})
    for col in ("stage", *statuses, "device-s"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for stage in dict.fromkeys(t["stage"] for t in tasks):
        rows = [t for t in tasks if t["stage"] == stage]
        table.add_row(stage, *[str(sum(t["status"] == s for t in rows)) for s in statuses],
                      f"{sum(t['device_seconds'] or 0 for t in rows):.1f}")
    out.print(table)
    for t in tasks:
        if t["status"] in ("failed", "skipped"):
            out.print(f"{t['status']}: {t['task_id']}: {t['error'] or t['reason']}", markup=False)
    _print_running(found, tasks)
    if errors:
        for a in ledger.attempts(found["id"]):
            if a["traceback"] or a["status"] == "lost":
                out.print(f"--- {a['task_id']} attempt {a['attempt']} ({a['status']}) on {a['worker']}",
                          markup=False)
                out.print(a["traceback"] or a["error"] or "", markup=False)


def _print_running(run, tasks) -> None:
    """The last progress each running task reported (how long ago, when the run is over)."""
    import time as _time
    from specc.runtime.progress import progress_text
    now = _time.time()
    for t in tasks:
        if t["status"] != "running":
            continue
        report = json.loads(t["progress"]) if t.get("progress") else None
        if report is None:
            out.print(f"running: {t['task_id']}: no progress reported", markup=False)
            continue
        live = run["status"] == "running"
        age = f" (reported {now - report['at']:.0f}s ago)" if report.get("at") else ""
        out.print(f"running: {t['task_id']}: {progress_text(report, now if live else None)}{age}", markup=False)


@app.command()
def runs(spec: Path = typer.Option(Path("."), "--in", help="A spec or folder inside the repository."),
         limit: int = typer.Option(20, "--limit", min=1)) -> None:
    """List recent runs from the ledger."""
    import time as _time
    from specc.runtime.ledger import Ledger
    path = _ledger_path(spec)
    if not path.exists():
        out.print(f"no runs yet ({path} does not exist)", markup=False)
        return
    ledger = Ledger(path)
    table = Table()
    for col in ("run", "spec", "profile", "status", "tasks", "started (UTC)", "seconds"):
        table.add_column(col)
    for r in ledger.runs(limit):
        took = f"{r['ended'] - r['started']:.1f}" if r["ended"] else "-"
        table.add_row(r["id"], r["name"], r["profile"] or "-", r["status"], str(r["tasks"]),
                      _time.strftime("%Y-%m-%d %H:%M:%S", _time.gmtime(r["started"])), took)
    out.print(table)


def _ledger_path(where: Path) -> Path:
    from specc.compiler.datafiles import repository_root
    folder = where if where.is_dir() else where.parent
    return repository_root(folder) / ".specc" / "ledger.sqlite"


@app.command()
def schema(builtin: bool = typer.Option(False, "--builtin", help="Only specc's own ops, not plugins "
                                        "(what schema/spec-v1.json holds).")) -> None:
    """Print the JSON Schema of the spec language (for editors)."""
    from specc.compiler.schema import spec_schema
    sys.stdout.write(json.dumps(spec_schema(builtin_only=builtin), indent=2, sort_keys=True) + "\n")


@app.command()
def ops(name: Optional[str] = typer.Argument(None, help="Show one op in full.")) -> None:
    """List the registered ops with their parameters and docs."""
    from specc.registry import UnknownName
    from specc.ops import OPS
    if name is not None:
        try:
            op = OPS.get(name)
        except UnknownName as exc:
            err.print(f"specc ops: {exc}", markup=False)
            raise typer.Exit(EXIT_SPEC_ERROR)
        _show_op(op)
        return
    table = Table(title=f"{len(OPS)} ops")
    for col in ("op", "version", "produces", "params", "summary"):
        table.add_column(col)
    for op_name, op in OPS.items():
        table.add_row(op_name, str(op.version), op.produces, ", ".join(op.params.model_fields),
                      op.doc.strip().splitlines()[0])
    out.print(table)


def _show_op(op) -> None:
    out.print(f"[bold]{op.name}[/bold] (version {op.version}) -> {op.produces}")
    out.print(op.doc.strip(), markup=False)
    table = Table()
    for col in ("param", "type", "default", "description"):
        table.add_column(col)
    for pname, field in op.params.model_fields.items():
        default = "required" if field.is_required() else repr(field.default)
        table.add_row(pname, _type_name(field.annotation), default, field.description or "")
    out.print(table)


def _type_name(tp) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


from specc.cli_ci import register as _register_ci  # noqa: E402  (specc ci, init, hook)

_register_ci(app, out, err)

from specc.cli_watch import logs, tensorboard  # noqa: E402 - registered here, defined apart

app.command()(logs)
app.command()(tensorboard)

from specc.cli_image import image_app  # noqa: E402 - after `app`, which it joins

app.add_typer(image_app, name="image")


def main() -> None:
    """Entry point: run the app, turning any unexpected error into one line."""
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt as exc:
        from specc.faults import Terminated
        err.print("terminated" if isinstance(exc, Terminated) else "interrupted")
        sys.exit(128 + exc.signum if isinstance(exc, Terminated) else 130)
    except ImportError as exc:  # a module named in SPECC_PLUGINS: the user's setup, not a bug
        from specc.ops._op import PluginError
        if not isinstance(exc, PluginError):
            raise
        err.print(f"specc: {exc}", markup=False)
        sys.exit(EXIT_SPEC_ERROR)
    except Exception as exc:  # a bug in specc, not in the spec -- or the machine's fault
        from specc.faults import EXIT_ENVIRONMENT, environment_fault
        fault = environment_fault(exc)
        if fault is not None:
            err.print(f"specc: {fault}", markup=False)
            sys.exit(EXIT_ENVIRONMENT)
        if os.environ.get("SPECC_DEBUG"):
            raise
        err.print(f"specc: internal error: {type(exc).__name__}: {exc} "
                  "(set SPECC_DEBUG=1 for the traceback, and please report it)", markup=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
