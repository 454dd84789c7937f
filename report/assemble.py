"""Gather everything a results report shows into one JSON-able dict (results.json),
at the end of `specc run`; `specc report RUN` renders it again later.

    results = build_results(plan, run_result, ledger, tables)   # tables: what the judge read
    publish(plan, results)      # .specc/runs/<run>/results.json + reports/<name>/results.md
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from specc.compiler.datafiles import repository_root

from .conditions import condition_summary
from .costs import cost_summary
from .provenance import provenance
from .results import render_results, write_results_json
from .injection import realised_injection
from .training_curves import training_curves

RESULTS_FORMAT = 1


def lock_and_deviations(plan) -> tuple[Any, list[dict[str, Any]]]:
    """(the spec's pre-registration lock or None, every deviation from it as a dict)."""
    from specc.prereg.deviations import deviations, readers
    from specc.prereg.lock import read_lock
    lock = read_lock(plan.path, plan.spec.name)
    if lock is None:
        return None, []
    return lock, [d.to_dict() for d in deviations(lock, plan, readers(plan))]


def build_results(plan, run_result, ledger, tables) -> dict[str, Any]:
    """`tables`: the run's tables (runtime.tables.MeasureTables), for the condition tables."""
    spec = plan.spec
    lock, devs = lock_and_deviations(plan)
    run = ledger.run(run_result.run_id) or {}
    hypotheses = [run_result.verdicts[h].to_dict() for h in spec.hypotheses if h in run_result.verdicts]
    condition_tables, figures = {}, {}
    for h in hypotheses:
        if h["status"] == "not tested" or h["estimate"] is None:
            continue
        try:
            table, figure = condition_summary(plan.hypotheses[h["id"]], plan, tables)
        except (LookupError, ValueError, KeyError):
            continue  # the verdict stands; a summary the tables cannot give is left out
        if table:
            condition_tables[h["id"]] = table
        if figure:
            figures[h["id"]] = figure
    lock_summary = lock.summary() if lock is not None else None
    return {
        "format": RESULTS_FORMAT,
        "spec": {"name": spec.name, "title": spec.title, "question": spec.question,
                 "path": _shown(plan.path), "profile": plan.profile, "spec_hash": plan.spec_hash},
        "run": {"id": run_result.run_id, "started": _iso(run.get("started")),
                "ended": _iso(run.get("ended")), "status": "succeeded" if run_result.ok else "failed",
                "counts": dict(run_result.counts)},
        "decision": {"alpha": spec.decision.alpha, "correction": spec.decision.correction},
        "hypotheses": hypotheses,
        "design": _design(plan),
        "stages": _stages(plan, ledger, run_result),
        "lock": lock_summary,
        "deviations": devs,
        "condition_tables": condition_tables,
        "figures": figures,
        "cost": cost_summary(plan, ledger, run_result.run_id),
        "training_curves": training_curves(plan, tables.store),
        "injection": realised_injection(plan, tables.store),
        "provenance": provenance(plan, lock_summary),
    }


def _design(plan) -> dict[str, Any]:
    """Units, minimal detectable effect and power of each confirmatory hypothesis, beside its verdict."""
    from specc.design import design_diagnostics
    return {hid: d.to_dict() for hid, d in design_diagnostics(plan).items()}


def publish(plan, results: dict[str, Any]) -> Path:
    """Store results.json with the run and render reports/<name>/results.md."""
    repo = repository_root(Path(plan.path).resolve().parent)
    write_results_json(results, repo / ".specc" / "runs" / results["run"]["id"] / "results.json")
    return render_results(results, repo / "reports" / plan.spec.name)


def _stages(plan, ledger, run_result) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, int]] = {name: {} for name in plan.stages}
    for task in ledger.tasks(run_result.run_id):
        if task["stage"] in counts:
            c = counts[task["stage"]]
            c[task["status"]] = c.get(task["status"], 0) + 1
    skips = getattr(run_result, "stage_skips", {}) or {}
    return [{"name": name, "op": f"{st.op}@{st.version}", "tasks": st.count, "counts": counts[name],
             "when": st.when, "skipped_because": skips.get(name)} for name, st in plan.stages.items()]


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _shown(path: str) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(repository_root(p.parent)))
    except ValueError:
        return str(p)
