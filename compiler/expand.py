"""Expand checked stages x design rows into a DAG of tasks with cache keys.

A task of stage S with condition c depends on every task of an upstream stage U
whose condition agrees with c on the axes both have (fewer axes downstream =
a fan-in; more = a broadcast). Axes an upstream op adds (train.pretrain's
`checkpoint`) select one of that task's outputs.

Runs in time linear in the number of tasks: upstream tasks are indexed by
their shared-axis values, and params, their digests and costs are computed
once per distinct combination of the axes they use, not once per task.
"""
from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass
from typing import Any

from .splits import ref_source
from .cost import gpu_hours
from .errors import Diagnostics
from .fingerprint import canonical_json, sha256_text
from .refs import format_value, refs_in_params
from .stages import FAMILY_AXIS, StageInfo, family_rows


class Task:
    __slots__ = ("id", "stage", "condition", "inputs", "key", "combo", "cost_key", "size")

    def __init__(self, id, stage, condition, inputs, key, combo, cost_key=None, size=None):
        self.id: str = id
        self.stage: str = stage
        self.condition: tuple = condition          # ((axis, value), ...) in `over` order
        self.inputs: tuple = inputs                # ((task index, selector), ...)
        self.key: str = key                        # sha256 hex
        self.combo: tuple = combo                  # the stage's axis-param values
        self.cost_key: tuple = cost_key            # combo + sizes of the models it reads
        self.size: int | None = size               # parameters of the model it produces, if any

    @property
    def deps(self) -> tuple[int, ...]:
        return tuple(i for i, _ in self.inputs)


@dataclass
class StagePlan:
    name: str
    op: str
    version: int
    over: tuple[str, ...]
    first: int                     # index of its first task in Plan.tasks
    count: int
    params: dict[tuple, dict]      # combo -> resolved params (JSON-able)
    parts: dict[tuple, dict]       # combo -> digests of what its key covers, to explain misses
    costs: dict[tuple, Any]        # cost key (combo + upstream model sizes) -> Cost
    gpus: float
    cpus: float
    memory: int | None
    upstream: tuple[str, ...]
    when: str | None
    code: str | None = None        # a plugin op's source digest (in its keys)
    workers: int = 1               # world size: data-parallel training processes per task
    gpus_per_node: int | None = None
    sharding: str = "auto"

    def hours(self, tasks: list[Task], device_flops: float, efficiency: float = 1.0) -> float:
        """GPU-hours of the stage's tasks. A task on N > 1 GPUs runs at N x the device rate x
        `efficiency` and holds all N: its GPU-hours are its FLOPs / (device rate x efficiency)."""
        if self.gpus <= 0:
            return 0.0
        rate = device_flops * (efficiency if self.workers > 1 else 1.0)
        costs = {c: gpu_hours(cost.flops, rate) for c, cost in self.costs.items()}
        return sum(costs[t.cost_key] for t in tasks[self.first:self.first + self.count])


def expand(spec, infos: dict[str, StageInfo], order: list[str], rows: list[dict],
           design_axes: list[str], provided: dict[str, dict[str, str]],
           data_digests: dict[str, str], model_specs: dict[str, dict], env: str,
           cost_ctx_factory, diags: Diagnostics) -> tuple[list[Task], dict[str, StagePlan]]:
    tasks: list[Task] = []
    stages: dict[str, StagePlan] = {}
    # Expansion allocates ~10 objects per task and frees none: the cyclic garbage
    # collector would rescan them all, again and again, for nothing (superlinear time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _expand_all(spec, infos, order, rows, design_axes, provided, data_digests, model_specs,
                    env, cost_ctx_factory, diags, tasks, stages)
    finally:
        if was_enabled:
            gc.enable()
    return tasks, stages


def _expand_all(spec, infos, order, rows, design_axes, provided, data_digests, model_specs,
                env, cost_ctx_factory, diags, tasks, stages) -> None:
    for name in order:
        info = infos[name]
        if not info.combos:
            continue  # params failed to validate; already reported
        first = len(tasks)
        stage_rows, stage_axes = rows, design_axes
        if info.family:  # its `upstream` axis is the stage's own: a design axis for it alone
            stage_rows, stage_axes = family_rows(rows, info.family), [FAMILY_AXIS, *design_axes]
        plan = _expand_stage(spec, info, stage_rows, stage_axes, provided.get(name, {}), infos, stages,
                             tasks, data_digests, model_specs, env, cost_ctx_factory, diags)
        plan.first, plan.count = first, len(tasks) - first
        stages[name] = plan


def _expand_stage(spec, info, rows, design_axes, provided, infos, stages, tasks,
                  data_digests, model_specs, env, cost_ctx_factory, diags) -> StagePlan:
    over = info.over
    base_axes = [a for a in over if a in design_axes]
    derived = [a for a in over if a not in design_axes]
    static = {"op": info.op.name, "version": info.op.version, "env": env}
    if info.op.source_digest:  # a plugin op: its code, not only its version
        static["code"] = info.op.source_digest
    static = sha256_text(canonical_json(static))

    # Params, their digest and cost: once per combination of the axes they use.
    resolved: dict[tuple, dict] = {}
    digests: dict[tuple, str] = {}
    key_parts: dict[tuple, dict] = {}
    costs: dict[tuple, Any] = {}
    for combo, params in info.combos.items():
        dumped = params.model_dump(mode="json")
        refs = {}
        for _path, _ref, value in refs_in_params(params):
            target = ref_source(value)
            if target in model_specs:
                refs[value] = {"model": model_specs[target]}
            elif target in data_digests:
                refs[value] = {"data": data_digests[target]}
        resolved[combo] = dumped
        digests[combo] = sha256_text(canonical_json({"params": dumped, "refs": refs}))
        key_parts[combo] = {"params": sha256_text(canonical_json(dumped)),
                        "data": sha256_text(canonical_json({k: v for k, v in refs.items() if "data" in v})),
                        "models": sha256_text(canonical_json({k: v for k, v in refs.items() if "model" in v}))}

    # Costs (and the size of a produced model) depend on the sizes of the models a task
    # reads, which vary with the upstream task (model=${size}): computed per distinct pair.
    sizes: dict[tuple, int | None] = {}

    def cost_of(combo: tuple, inputs: list) -> tuple:
        key = (combo, tuple([(tasks[i].stage, tasks[i].size) for i, _ in inputs if tasks[i].size is not None]))
        if key not in costs:
            params = info.combos[combo]
            ctx = cost_ctx_factory(info, params, dict(key[1]))
            costs[key] = info.op.cost(params, ctx)
            base = getattr(params, "model", None)
            sizes[key] = ctx.model_params(base) if info.op.produces == "model" and isinstance(base, str) else None
        return key

    # Upstream tasks indexed by the values of the axes they share with this stage.
    uplinks = []
    for up in sorted(info.upstream):
        if up not in stages:
            continue
        up_plan = stages[up]
        shared = [a for a in over if a in up_plan.over]
        # Axes it adds (checkpoint) select one of its outputs: from every upstream that adds
        # them, not only the one that provides the values (a family reads several).
        up_info = infos[up]
        own = up_info.op.axes(up_info.any_params) if up_info.op.axes and up_info.any_params else {}
        adds = [a for a in derived if (provided.get(a) == up or a in own) and a not in up_plan.over]
        index: dict[tuple, list[int]] = {}
        for i in range(up_plan.first, up_plan.first + up_plan.count):
            cond = dict(tasks[i].condition)
            index.setdefault(tuple(cond[a] for a in shared), []).append(i)
        uplinks.append((up, shared, adds, index))

    bases = list(dict.fromkeys(tuple(r[a] for a in base_axes) for r in rows)) if base_axes else [()]
    pos = {a: i for i, a in enumerate(over)}
    combo_pos = [pos[a] for a in info.axis_params]
    prefix = info.name + "/"
    ambiguous: set[str] = set()
    stages_produce = {u: infos[u].op.produces for u in info.upstream}
    derived_index = _derived_index(derived, base_axes, provided, infos, stages, tasks)
    pieces: dict[tuple, tuple[str, str]] = {}   # (axis, type, value) -> (id part, key part)

    def piece(axis: str, value: Any) -> tuple[str, str]:
        found = pieces.get((axis, type(value), value))
        if found is None:  # a few distinct values per axis: encode each once
            found = (f"{axis}={format_value(value)}", canonical_json([axis, value]))
            pieces[(axis, type(value), value)] = found
        return found

    for base in bases:
        base_cond = dict(zip(base_axes, base))
        for values in _derived_values(derived_index, base_cond):
            cond = {**base_cond, **dict(zip(derived, values))}
            ordered = tuple((a, cond[a]) for a in over)
            parts = [piece(a, v) for a, v in ordered]
            combo = tuple(ordered[i][1] for i in combo_pos)
            reads = info.combo_upstream.get(combo, ())
            inputs = []
            missing = None
            for up, shared, adds, index in uplinks:
                if up not in reads:
                    continue
                found = index.get(tuple(cond[a] for a in shared))
                if not found:
                    missing = up
                    break
                if len(found) > 1 and up in info.single_inputs and up not in ambiguous:
                    # A task takes one model (or tokenizer), never a bag of them.
                    ambiguous.add(up)
                    axis = next(a for a in stages[up].over if a not in over)
                    path = info.single_inputs[up]
                    diags.error(("stages", info.name) + path,
                                f"stages.{info.name}.{'.'.join(map(str, path))}: stage {up!r} has one "
                                f"{stages_produce[up]} per {axis}, but {info.name} does not vary over {axis}",
                                f"add {axis!r} to stages.{info.name}.over")
                selector = tuple((a, cond[a]) for a in adds)
                inputs.extend((i, selector) for i in found)
            task_id = prefix + "/".join(p[0] for p in parts) if ordered else info.name
            if missing:
                diags.error(("stages", info.name), f"task {task_id} has no input from stage {missing!r}: "
                                                   "the design excludes every matching condition", at="key")
                continue
            h = hashlib.sha256()
            h.update(f"{static}|{digests[combo]}|{','.join(p[1] for p in parts)}".encode())
            for i, selector in inputs:
                sel = ",".join(piece(a, v)[1] for a, v in selector)
                h.update(f"|{tasks[i].key}{sel}".encode())
            cost_key = cost_of(combo, inputs)
            tasks.append(Task(task_id, info.name, ordered, tuple(inputs), h.hexdigest(), combo,
                              cost_key, sizes[cost_key]))
    res = info.stage.resources
    return StagePlan(info.name, info.op.name, info.op.version, over, 0, 0, resolved, key_parts, costs,
                     res.gpus, res.cpus, res.memory, tuple(sorted(info.upstream)), info.stage.when,
                     info.op.source_digest, res.world_size, res.gpus_per_node, res.sharding)


def _derived_index(derived, base_axes, provided, infos, stages, tasks) -> list[tuple]:
    """Per derived axis (e.g. checkpoint): the axes that select it and value lists by key."""
    out = []
    for axis in derived:
        up = provided[axis]
        plan, up_info = stages.get(up), infos[up]
        keys = [a for a in base_axes if plan is not None and a in plan.over]
        index: dict[tuple, dict] = {}
        if plan is not None:
            for i in range(plan.first, plan.first + plan.count):
                cond = dict(tasks[i].condition)
                bucket = index.setdefault(tuple(cond[a] for a in keys), {})
                if axis in cond:
                    bucket.setdefault(cond[axis], None)
                else:
                    for v in up_info.op.axes(up_info.params_for(cond)).get(axis, []):
                        bucket.setdefault(v, None)
        out.append((keys, index))
    return out


def _derived_values(derived_index, base_cond) -> list[tuple]:
    """The combinations of derived-axis values (e.g. checkpoints) for one base condition."""
    out: list[tuple] = [()]
    for keys, index in derived_index:
        values = list(index.get(tuple(base_cond[a] for a in keys), {}))
        out = [o + (v,) for o in out for v in values]
    return out
