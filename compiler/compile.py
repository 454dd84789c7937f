"""compile_spec: YAML file -> checked spec -> plan (a DAG of tasks with keys and costs).

Every step collects diagnostics; the first step that leaves errors ends the
compile with all of them (`SpecErrors`), never a traceback.
"""
from __future__ import annotations

import graphlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specc.ops._op import BYTES_PER_TOKEN, DataStats

from .cost import StageCostContext
from .data_check import CHECK_BYTES, MAX_PROBLEMS, file_problems
from .data_reads import check_leakage, check_limits, check_splits
from .datafiles import DataPathError, DataRoots, file_facts, resolve_files
from .design import design_rows
from .errors import Diagnostic, Diagnostics, SpecErrors
from .expand import expand
from .fingerprint import canonical_json, environment_fingerprint, sha256_text
from .hypotheses import check_column_params, check_hypotheses, check_where_values, parse_stage_gates
from .local_paths import hub_source_folder, model_digests
from .plan import Plan
from .profiles import apply_profile, check_wildcards
from .refs import refs_in_params
from .spec_model import HUB_SIZE_HINTS, HubSource, Spec
from .layer_depth import check_layer_depth
from .splits import parse_data_ref, split_seed
from .stages import available_axes, check_over, check_stages
from .validate import validate_structure
from .yaml_source import SourceMap, load_yaml


@dataclass
class DataInfo:
    kind: str
    files: tuple[Path, ...] = ()
    digest: str = ""
    columns: tuple[str, ...] = ()
    stats: DataStats | None = None
    splits: dict[str, float] = field(default_factory=dict)
    part_sizes: dict[str, int] = field(default_factory=dict)   # exact records per part


@dataclass
class Checked:
    path: Path
    spec: Spec
    raw: Any
    source_map: SourceMap
    diags: Diagnostics
    profile: str | None
    data: dict[str, DataInfo]
    rows: list[dict]
    design_axes: list[str]
    broken: set[str] = field(default_factory=set)   # entries that failed validation
    broken_axes: set[str] = field(default_factory=set)  # design axes that failed validation
    roots: DataRoots | None = None                 # where its local paths may lie
    model_digests: dict[str, str] = field(default_factory=dict)  # `path:` models' folder digests


def load_checked(path: str | Path, profile: str | None = None,
                 data_roots: tuple[str, ...] = ()) -> Checked:
    """Load, apply the profile and validate the structure; raise SpecErrors."""
    path = Path(path)
    raw, smap = load_yaml(path)
    diags = Diagnostics(str(path), smap)
    check_wildcards(raw, diags, skip=profile)
    raw = apply_profile(raw, smap, profile, diags)
    spec, broken, broken_axes = validate_structure(raw, diags)
    if spec is None:
        diags.raise_if_errors()
        raise SpecErrors([Diagnostic(str(path), 1, 1, "spec could not be read")])
    roots = DataRoots.for_spec(path.resolve(), data_roots)
    data = _check_data(spec, path.resolve().parent, roots, diags)
    models = model_digests(spec, path.resolve().parent, roots, diags)
    check_splits(spec, data, diags)
    _check_unique_names(spec, raw, diags)
    axes, rows = design_rows(spec.conditions, diags)
    return Checked(path, spec, raw, smap, diags, profile, data, rows, axes, broken, broken_axes,
                   roots, models)


def compile_spec(path: str | Path, profile: str | None = None,
                 data_roots: tuple[str, ...] = (), container: Any = None) -> Plan:
    """`container`: a specc.containers.resolve.ContainerRequest (the command line's --container ...);
    None follows the spec's `runtime.container`."""
    c = load_checked(path, profile, data_roots)
    spec, diags = c.spec, c.diags
    infos = check_stages(spec, c.rows, diags, c.broken, c.broken_axes)
    stage_gates = parse_stage_gates(spec, c.broken, diags)
    hypotheses, hyp_reads, hyp_gates = check_hypotheses(spec, c, infos, diags)
    check_column_params(spec, c, infos, diags)
    check_layer_depth(spec, infos, diags)
    check_limits(spec, infos, c.data, diags)
    leakage = check_leakage(spec, c.data, diags)
    for name, gate in stage_gates.items():
        if name in infos:
            infos[name].gate_on = set(gate.hypotheses)
    order = _order(spec, infos, hyp_reads, hyp_gates, diags)
    if order is None:
        diags.raise_if_errors()
    provided = available_axes(infos, c.design_axes, order)
    check_over(infos, c.design_axes, provided, diags, c.broken_axes)
    _check_resources(spec, diags)
    diags.raise_if_errors()

    stats = {}
    for name, info in c.data.items():
        if info.stats is None:
            continue
        stats[name] = info.stats
        for split, frac in info.splits.items():
            records = info.part_sizes.get(split, int(info.stats.records * frac))
            stats[f"{name}.{split}"] = DataStats(records, int(info.stats.bytes * records / max(info.stats.records, 1)))
    _limited_stats(infos, stats)
    model_specs = {n: m.model_dump(mode="json") | {"kind": m.kind} for n, m in spec.models.items()}
    for n, digest in c.model_digests.items():  # a local model is its files, not only its path
        model_specs[n]["digest"] = digest
    digests = {n: i.digest for n, i in c.data.items()}
    image = _run_image(c, container)
    # A container run's keys name the image's environment (its digest, Python, packages), not this one's.
    env = environment_fingerprint(image.environment if image is not None else None)
    tasks, stages = expand(spec, infos, order, c.rows, c.design_axes, provided, digests, model_specs,
                           env, lambda info, params, upstream: StageCostContext(spec, infos, stats, params, upstream),
                           diags)
    diags.raise_if_errors()
    plan = Plan(spec=spec, path=str(c.path), profile=profile, env=env, tasks=tasks, stages=stages,
                # The spec as it runs, profile applied: the profiles' own text is not part of it.
                spec_hash=sha256_text(canonical_json(spec.model_dump(mode="json", exclude={"profiles"}))),
                warnings=list(diags.warnings), hypothesis_reads=hyp_reads,
                hypothesis_gates={h: tuple(hypotheses[h].gate.hypotheses) for h in hyp_gates},
                data=c.data, hypotheses=hypotheses, stage_gates=stage_gates,
                roots=tuple(str(r) for r in c.roots.roots), image=image, leakage=leakage)
    check_where_values(spec, plan, diags)
    _check_budget(plan, diags)
    diags.raise_if_errors()
    return plan


def _run_image(c: Checked, request: Any):
    """The pinned image the tasks run in, or None: the spec's `runtime.container`, overridden by
    the command line; image.lock in the spec repository's containers/ (or SPECC_CONTAINERS_DIR).
    An image that is missing, or differs from the lock unless allowed, is an error at
    `runtime.container` (or at the top, for --container)."""
    import os

    from specc.containers.resolve import resolve_image, wanted
    from specc.containers.variants import ImageError

    from .datafiles import repository_root
    from .fingerprint import environment
    choice = wanted(c.spec.runtime.container, request)
    if choice is None:
        return None
    root = repository_root(c.path.resolve().parent)
    folder = Path(os.environ.get("SPECC_CONTAINERS_DIR") or root / "containers").resolve()
    lock = folder / "image.lock"
    shown = str(lock.relative_to(root)) if lock.is_relative_to(root) else str(lock)
    try:
        return resolve_image(folder, *choice, shown=shown, here_environment=environment())
    except ImageError as exc:
        if c.spec.runtime.container is not None:
            c.diags.error(("runtime", "container"), f"runtime.container: {exc}")
        else:   # asked for on the command line
            c.diags.error((), f"--container: {exc}")
        c.diags.raise_if_errors()


def _check_data(spec: Spec, spec_dir: Path, roots: DataRoots, diags: Diagnostics) -> dict[str, DataInfo]:
    out: dict[str, DataInfo] = {}
    for name, source in spec.data.items():
        if isinstance(source, HubSource):
            folder, content = hub_source_folder(name, source, spec_dir, roots, diags)
            definition = source.model_dump(mode="json", exclude=HUB_SIZE_HINTS) | (
                {"content": content} if content else {})
            out[name] = DataInfo("hf", files=(folder,) if folder else (),
                                 digest=sha256_text(canonical_json(definition)))
            if source.records is not None:   # the spec's size hints: the plan can price its readers
                out[name].stats = DataStats(source.records,
                                            int(source.records * source.tokens_per_record * BYTES_PER_TOKEN))
            continue
        info = DataInfo(source.kind, splits=source.split.parts if source.split else {})
        try:
            info.files = resolve_files(source.pattern, spec_dir, roots, tuple(source.exclude))
        except DataPathError as exc:
            diags.error(("data", name, source.kind), f"data.{name}.{source.kind}: {exc}", exc.hint)
            out[name] = info
            continue
        try:
            facts = [file_facts(f, source.kind) for f in info.files]
        except Exception as exc:  # unreadable or corrupt data file: report, never crash
            diags.error(("data", name, source.kind), f"data.{name}: cannot read {source.pattern!r}: {exc}")
            out[name] = info
            continue
        problems = [p for f, x in zip(info.files, facts) if x.bytes <= CHECK_BYTES
                    for p in file_problems(f, source.kind)]
        for problem in problems[:MAX_PROBLEMS]:
            diags.error(("data", name, source.kind), f"data.{name}: {problem}",
                        "fix the file, or leave it out with `exclude:`" if len(info.files) > 1 else None)
        if problems:
            out[name] = info
            continue
        info.digest = sha256_text(canonical_json({
            "files": [[f.name, x.sha256] for f, x in zip(info.files, facts)],
            "split": _split_identity(source.split, spec.seed), "kind": source.kind}))
        info.columns = tuple(dict.fromkeys(c for x in facts for c in x.columns))
        info.stats = DataStats(sum(x.records for x in facts), sum(x.bytes for x in facts))
        out[name] = info
    return out


def _split_identity(split, spec_seed: int) -> dict | None:
    """What a split's records depend on: parts, the seed it is cut with, grouping."""
    if split is None:
        return None
    return {"parts": split.parts, "seed": split_seed(split, spec_seed), "group_by": split.group_by,
            "per_seed": split.per_seed}


def _limited_stats(infos, stats: dict[str, DataStats]) -> None:
    """Sizes of limited references (`prefs.heldout[:60]`), for cost estimates."""
    for info in infos.values():
        for params in info.combos.values():
            for _path, _ref, value in refs_in_params(params):
                parsed = parse_data_ref(value)
                if parsed is None or parsed.limit is None or value in stats:
                    continue
                whole = stats.get(parsed.unlimited)
                if whole is not None:
                    records = min(parsed.limit, whole.records)
                    stats[value] = DataStats(records, int(whole.bytes * records / max(whole.records, 1)))


def _check_unique_names(spec: Spec, raw: Any, diags: Diagnostics) -> None:
    owner: dict[str, str] = {}
    for section in ("data", "models", "stages"):
        for name in (raw.get(section) or {}) if isinstance(raw.get(section), dict) else {}:
            if name in owner:
                diags.error((section, name), f"{section}.{name}: the name {name!r} is already used in "
                                             f"{owner[name]}; data, models and stages share one namespace",
                            "rename one of them", at="key")
            owner.setdefault(name, section)


def _order(spec, infos, hyp_reads, hyp_gates, diags) -> list[str] | None:
    """Topological order of stages; a cycle (through refs or gates) is an error."""
    graph = graphlib.TopologicalSorter()
    for name, info in infos.items():
        graph.add(("stage", name), *[("stage", u) for u in info.upstream if u in infos],
                  *[("hyp", h) for h in info.gate_on])
    for hyp, reads in hyp_reads.items():
        graph.add(("hyp", hyp), *[("stage", s) for s in reads if s in infos],
                  *[("hyp", g) for g in hyp_gates.get(hyp, ())])
    try:
        order = list(graph.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        shown = " -> ".join(f"{'stages' if k == 'stage' else 'hypotheses'}.{n}" for k, n in cycle)
        kind, first = cycle[0]
        diags.error(("stages" if kind == "stage" else "hypotheses", first),
                    f"cycle: {shown}", "a stage cannot depend on its own output, directly or "
                                       "through a gate", at="key")
        return None
    return [n for k, n in order if k == "stage"]


def _check_resources(spec: Spec, diags: Diagnostics) -> None:
    from specc.ops import OPS
    limit = spec.budget.max_gpus_per_task
    for name, stage in spec.stages.items():
        res = stage.resources
        per_node = res.gpus_per_node
        if per_node is not None and per_node > limit:
            diags.error(("stages", name, "resources", "gpus_per_node"),
                        f"stages.{name}.resources.gpus_per_node: {per_node} GPUs on one node is more "
                        f"than a node has (budget.max_gpus_per_task = {limit})",
                        f"lower gpus_per_node, or raise budget.max_gpus_per_task for bigger nodes")
        elif per_node is None and res.gpus > limit:
            parallel = OPS.get(stage.op).parallel if stage.op in OPS else False
            hint = (f"spread it over nodes with gpus_per_node (e.g. {limit}), or raise "
                    "budget.max_gpus_per_task for bigger nodes") if parallel else \
                "split the work, or raise budget.max_gpus_per_task for bigger nodes"
            diags.error(("stages", name, "resources", "gpus"),
                        f"stages.{name}.resources.gpus: {res.gpus:g} GPUs per task is "
                        f"more than a node has (budget.max_gpus_per_task = {limit})", hint)
        if res.world_size > 1 and stage.op in OPS and not OPS.get(stage.op).parallel:
            field = "gpus" if res.gpus > 1 else "workers"
            diags.error(("stages", name, "resources", field),
                        f"stages.{name}.resources.{field}: op {stage.op} runs on one device; "
                        f"{res.world_size} workers would be reserved and one used",
                        "ask for gpus: 1 (only the train.* ops train on several devices)")


def _check_budget(plan: Plan, diags: Diagnostics) -> None:
    limit = plan.spec.budget.gpu_hours
    total = plan.total_gpu_hours
    if limit is None or total <= limit:
        return
    by_stage = sorted([kv for kv in plan.stage_hours().items() if kv[1] > 0], key=lambda kv: -kv[1])[:3]
    costliest = ", ".join(f"{name} ({hours:.3g} GPU-h)" for name, hours in by_stage)
    diags.error(("budget", "gpu_hours"),
                f"budget.gpu_hours: the plan needs an estimated {total:.3g} GPU-hours, more than the "
                f"budget of {limit:g}; costliest stages: {costliest}",
                "reduce steps or conditions, use a profile, or raise the budget")
