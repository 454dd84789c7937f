"""The `specc` command line (typer + rich).

Spec problems print as `file:line:col: message` and exit with code 2; a bug in
specc itself prints one line (SPECC_DEBUG=1 shows the traceback) and exits 3.
Never a traceback for a user's mistake.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from specc.compiler import SpecErrors, compile_spec
from specc.compiler.schema import spec_schema

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="specc: compile a research spec into a reproducible, cached run.")
# Piped output (CI logs, files) gets wide tables instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)

EXIT_SPEC_ERROR = 2
EXIT_INTERNAL = 3

ProfileOpt = typer.Option(None, "--profile", "-p", help="Apply a named profile from the spec (e.g. smoke).")
RootOpt = typer.Option(None, "--data-root", help="Extra folder the spec may read data from (repeatable).")


def _print_diagnostics(diags) -> None:
    for d in diags:
        err.print(str(d), markup=False)


def _compile(spec: Path, profile: Optional[str], roots: Optional[List[str]]):
    try:
        plan = compile_spec(spec, profile=profile, data_roots=tuple(roots or ()))
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
    failed = 0
    for spec in specs:
        plan = _compile(spec, profile, data_root)
        if plan is None:
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
         tasks: bool = typer.Option(False, "--tasks", help="Also list every task id and cache key.")) -> None:
    """Show the task graph: tasks, resources and estimated GPU-hours per stage."""
    compiled = _compile(spec, profile, data_root)
    if compiled is None:
        raise typer.Exit(EXIT_SPEC_ERROR)
    if as_json:
        sys.stdout.write(compiled.to_json() + "\n")
        return
    b = compiled.spec.budget
    table = Table(title=f"{compiled.spec.name}" + (f" (profile {profile})" if profile else ""))
    for col in ("stage", "op", "tasks", "over", "gpus", "cpus", "tokens", "est. GPU-h"):
        table.add_column(col, justify="right" if col in ("tasks", "gpus", "cpus", "tokens", "est. GPU-h") else "left")
    for row in compiled.stage_rows():
        table.add_row(row["stage"], row["op"], str(row["tasks"]), ", ".join(row["over"]) or "-",
                      f"{row['gpus']:g}", f"{row['cpus']:g}", f"{row['tokens']:.3g}", f"{row['gpu_hours']:.3g}")
    out.print(table)
    budget = f" of a {b.gpu_hours:g} GPU-h budget" if b.gpu_hours else ""
    out.print(f"total: {len(compiled.tasks)} tasks, ~{compiled.total_gpu_hours:.3g} GPU-h{budget} "
              f"(at {b.device_tflops:g} TFLOP/s x {b.utilization:g} utilisation, {b.device})", markup=False)
    out.print("\n```mermaid\n" + compiled.mermaid() + "\n```", markup=False)
    if tasks:
        for t in compiled.tasks:
            out.print(f"{t.key[:12]}  {t.id}", markup=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec language (for editors)."""
    sys.stdout.write(json.dumps(spec_schema(), indent=2, sort_keys=True) + "\n")


@app.command()
def ops(name: Optional[str] = typer.Argument(None, help="Show one op in full.")) -> None:
    """List the registered ops with their parameters and docs."""
    from specc.compiler.registry import UnknownName
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


def main() -> None:
    """Entry point: run the app, turning any unexpected error into one line."""
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug in specc, not in the spec
        if os.environ.get("SPECC_DEBUG"):
            raise
        err.print(f"specc: internal error: {type(exc).__name__}: {exc} "
                  "(set SPECC_DEBUG=1 for the traceback, and please report it)", markup=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
