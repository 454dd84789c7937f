"""`specc prereg SPEC`: freeze the lock and render `reports/<name>/preregistration.md`.

The report is built from the compiled plan (so task counts and GPU-hours are the
compiler's) and the lock (so the hash on the page is the one frozen). Given the
same `now` and `commit` the output is byte-identical: a golden-file test holds it.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from specc.templates.render import render

from specc.compiler.data_reads import data_reading
from specc.compiler.datafiles import repository_root
from specc.compiler.design import design_rows
from specc.compiler.errors import Diagnostics
from .lock import Lock, amend, freeze
from specc.compiler.rules import INTERVALS

TEMPLATE = "preregistration.md.j2"
CORRECTION_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "bh": "Benjamini-Hochberg", "none": "no"}


def write_preregistration(plan, spec_path: str | Path, out_dir: str | Path | None = None,
                          amend_reason: str | None = None, now: datetime | None = None,
                          commit: str | None = None, *, lock_path: Path | None = None,
                          dirty: bool | None = None,
                          after_results: dict[str, Any] | None = None) -> tuple[Path, Lock]:
    """Freeze (or, with `amend_reason`, amend) the lock, then render the report.
    `after_results` (the ledger's runs of this spec, when there are any) is recorded in the
    lock: a pre-registration written after results were seen says so.

    Raises lock.LockExists when a different lock is already frozen and no reason is given."""
    spec_path = Path(spec_path)
    if amend_reason is not None:
        lock = amend(plan, spec_path, amend_reason, now, commit, dirty=dirty, path=lock_path,
                     after_results=after_results)
    else:
        lock = freeze(plan, spec_path, now, commit, dirty=dirty, path=lock_path, profile=plan.profile,
                      after_results=after_results)
    repo = repository_root(spec_path.resolve().parent)
    out = Path(out_dir) if out_dir else repo / "reports" / plan.spec.name
    out.mkdir(parents=True, exist_ok=True)
    report = out / "preregistration.md"
    report.write_text(render(TEMPLATE, **preregistration_context(plan, spec_path, lock)), encoding="utf-8")
    return report, lock


def preregistration_context(plan, spec_path: Path, lock: Lock) -> dict[str, Any]:
    spec = plan.spec
    repo = repository_root(spec_path.resolve().parent)
    return {
        "spec": spec, "profile": plan.profile,
        "spec_file": _shown(spec_path, repo), "lock": lock, "lock_file": _shown(lock.path, repo),
        "correction": CORRECTION_NAMES[spec.decision.correction],
        "hypotheses": [_hypothesis(h, spec, plan) for h in plan.hypotheses.values()],
        "design": _design(spec),
        "diagnostics": _diagnostics(plan),
        "stages": _stages(plan),
        "data": [_source(name, src, plan.data.get(name)) for name, src in spec.data.items()],
        "reading": data_reading(plan),
        "stopping": _stopping(plan),
        "image": plan.image.to_dict() if getattr(plan, "image", None) is not None else None,
        "budget": {"declared": spec.budget.gpu_hours, "estimated": plan.total_gpu_hours,
                   "device": spec.budget.device, "tflops": spec.budget.device_tflops,
                   "utilization": spec.budget.utilization},
    }


def _diagnostics(plan) -> list[dict[str, Any]]:
    """Units, minimal detectable effect and power of each confirmatory hypothesis."""
    from specc.design import design_diagnostics
    return [d.to_dict() for d in design_diagnostics(plan).values()]


def _shown(path: Path, repo: Path) -> str:
    """Repository-relative, so the page reads the same on every machine."""
    path = Path(path).resolve()
    return str(path.relative_to(repo)) if path.is_relative_to(repo) else path.name


def _hypothesis(h, spec, plan) -> dict[str, Any]:
    """`h`: the compiler's CompiledHypothesis."""
    reads = set(plan.hypothesis_reads.get(h.id, ())) | {s for s in h.reads if s in spec.data}
    iv, test = h.interval, h.test
    unit = f"resampling unit `{h.unit}`" + (" (inferred)" if h.unit_inferred else "")
    interval = "none (point estimate)" if iv.method == "none" else (
        f"{iv.level * 100:g}% {INTERVALS[iv.method]}"
        + ("" if iv.method == "fisher_z" else f", {unit}, {iv.n_resamples:,} resamples"))
    if test is None:
        test_text = "none"
    else:
        extra = f", {test.n_permutations:,} permutations" if test.method == "permutation" else ""
        test_text = f"{test.method}, {h.test_alternative}, alpha {h.alpha:g}{extra}"
    return {"id": h.id, "kind": h.kind, "statement": h.statement, "measure": h.measure_text,
            "expect": str(h.expect), "interval": interval, "test": test_text,
            "gate": str(h.gate) if h.gate else None, "reads": sorted(reads), "rule": h.rule,
            "missing": spec.hypotheses[h.id].missing if h.id in spec.hypotheses else None}


class _NoSource:
    def locate(self, path, at="value", offset=None):
        return 1, 1


def _design(spec) -> dict[str, Any]:
    c = spec.conditions
    _, rows = design_rows(c, Diagnostics("", _NoSource()))
    return {"axes": [(a, ", ".join(_value(v) for v in vs)) for a, vs in c.axes.items()],
            "zip": [" × ".join(f"{a} ({', '.join(_value(v) for v in vs)})" for a, vs in g.items())
                    for g in c.zip],
            "include": [_row(r) for r in c.include], "exclude": [_row(r) for r in c.exclude],
            "n": len(rows)}


def _value(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _row(row: dict) -> str:
    return ", ".join(f"{a}={'|'.join(map(_value, v)) if isinstance(v, list) else _value(v)}"
                     for a, v in row.items())


def _stages(plan) -> list[dict[str, Any]]:
    hours = plan.stage_hours()
    out = []
    for row in plan.stage_rows():
        st = plan.spec.stages.get(row["stage"])
        resources = [f"{row['gpus']:g} GPU", f"{row['cpus']:g} CPU"]
        if row["memory"]:
            resources.append(f"{row['memory'] / 2 ** 30:g} GiB")
        params = st.params if st is not None else {}
        out.append({"name": row["stage"], "op": row["op"], "over": ", ".join(row["over"]) or "—",
                    "tasks": row["tasks"], "resources": ", ".join(resources), "gate": row["when"],
                    "hours": hours[row["stage"]], "doc": st.doc if st is not None else None,
                    "params": "; ".join(f"{k} = {_json(v)}" for k, v in params.items())})
    return out


def _json(v: Any) -> str:
    import json
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(", ", ": "))


def _source(name: str, src, info) -> dict[str, Any]:
    kind = getattr(src, "kind", "?")
    if kind == "hf":  # the revision pins what the hub serves: part of the exclusion rules
        where = f"{src.hf}{f' ({src.name})' if src.name else ''}@{src.revision}"
        rule, split = "—", f"hub split {src.split}"
    else:
        where = src.pattern
        rule = ("leaves out " + ", ".join(src.exclude)) if src.exclude else "—"
        split = "—"
        if src.split is not None:
            split = ", ".join(f"{k} {v:g}" for k, v in src.split.parts.items())
            split += f"; grouped by {src.split.group_by}" if src.split.group_by else ""
            split += "; resplit per seed" if src.split.per_seed else ""
    files = len(info.files) if info is not None and info.files else None
    records = info.stats.records if info is not None and info.stats is not None else None
    return {"name": name, "kind": kind, "where": where, "exclude": rule, "split": split,
            "fractions": kind != "hf" and bool(src.split),
            "files": files, "records": records}


def _stopping(plan) -> dict[str, list[str]]:
    """Gates in words: what is skipped, and what that spares."""
    hours = plan.stage_hours()
    ancestors: dict[str, set[str]] = {}

    def above(name: str) -> set[str]:
        if name not in ancestors:
            ups = plan.stages[name].upstream if name in plan.stages else ()
            ancestors[name] = set(ups).union(*(above(u) for u in ups))
        return ancestors[name]

    downstream = {x: [s for s in plan.stages if x in above(s)] for x in plan.stages}
    stages, covered = [], set()
    for name, st in plan.stages.items():
        if not st.when or (name, st.when) in covered:
            continue  # already skipped with an upstream stage behind the same gate
        covered |= {(s, st.when) for s in downstream[name]}
        also = downstream.get(name, [])
        spared = hours[name] + sum(hours[s] for s in also)
        stages.append({"stage": name, "when": st.when, "tasks": st.count + sum(plan.stages[s].count for s in also),
                       "also": also, "hours": spared,
                       "inconclusive": [h for h, reads in plan.hypothesis_reads.items()
                                        if reads & {name, *also}]})
    hyps = [{"id": hid, "when": str(h.gate)} for hid, h in plan.hypotheses.items() if h.gate is not None]
    return {"stages": stages, "hypotheses": hyps}
