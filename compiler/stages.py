"""Stage checks: op names, op params, references, axes and gates.

Params may take axis values (`model: ${model}`), so each stage's params are
validated once per distinct combination of the axes they use, and each
combination's references are checked against the spec.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from specc.ops import OPS, Op
from specc.ops._op import Ref

from .errors import Diagnostics, did_you_mean, names_hint
from .pydantic_errors import report_validation_error, show
from .refs import placeholders, refs_in_params, substitute
from .spec_model import Spec, Stage, _LocalSource
from .splits import parse_data_ref, ref_source


STAGE_KEYS = tuple(Stage.model_fields)  # op, over, resources, when, doc, family
FAMILY_AXIS = "upstream"   # the column naming a family member


@dataclass
class StageInfo:
    name: str
    stage: Stage
    op: Op
    axis_params: tuple[str, ...] = ()                 # condition axes its params take
    combos: dict[tuple, BaseModel] = field(default_factory=dict)  # axis values -> params
    upstream: set[str] = field(default_factory=set)   # stages it reads (refs)
    gate_on: set[str] = field(default_factory=set)    # hypotheses its `when` names
    single_inputs: dict[str, tuple] = field(default_factory=dict)  # stage -> param path (model/tokenizer)
    family: tuple[str, ...] = ()                      # members of a stage family (the `upstream` axis)
    combo_upstream: dict[tuple, set[str]] = field(default_factory=dict)  # what each combination reads

    @property
    def over(self) -> tuple[str, ...]:
        return tuple(self.stage.over)

    def params_for(self, condition: dict[str, Any]) -> BaseModel:
        return self.combos[tuple(condition[a] for a in self.axis_params)]

    @property
    def any_params(self) -> BaseModel | None:
        return next(iter(self.combos.values()), None)


def kind_of(name: str, spec: Spec, infos: dict[str, StageInfo]) -> str | None:
    """What a name refers to: 'data', 'model', or the artifact a stage produces."""
    if name in spec.data:
        return "data"
    if name in spec.models:
        return "model"
    if name in infos:
        return infos[name].op.produces
    return None


def check_stages(spec: Spec, rows: list[dict], diags: Diagnostics,
                 broken: set[str] = frozenset(), broken_axes: set[str] = frozenset()) -> dict[str, StageInfo]:
    infos: dict[str, StageInfo] = {}
    for name, stage in spec.stages.items():
        if stage.op not in OPS:
            diags.error(("stages", name, "op"), f"stages.{name}.op: unknown op {stage.op!r}",
                        names_hint(stage.op, OPS))
            continue
        infos[name] = StageInfo(name, stage, OPS.get(stage.op))
    axes = set(rows[0]) if rows else set()
    # Names whose own definition is already reported: references to them are not.
    unchecked = set(broken) | (set(spec.stages) - set(infos))
    for info in infos.values():
        if info.stage.family is not None:
            _make_family(spec, info, infos, axes, diags, unchecked)
    for info in infos.values():
        if any(a in broken_axes for a in info.over) or (info.stage.family is not None and not info.family):
            continue  # its axes are already reported; params cannot be resolved without them
        if info.family:
            _check_params(spec, info, family_rows(rows, info.family), axes | {FAMILY_AXIS}, infos, diags,
                          unchecked)
        else:
            _check_params(spec, info, rows, axes, infos, diags, unchecked)
    return infos


def family_rows(rows: list[dict], members: tuple[str, ...]) -> list[dict]:
    """The design rows of a family stage: every row once per member, members outermost."""
    return [{FAMILY_AXIS: m, **r} for m in members for r in rows] if rows else [{FAMILY_AXIS: m} for m in members]


def _make_family(spec, info: StageInfo, infos, axes, diags, unchecked) -> bool:
    """Turn `family: {model: [a, b]}` into an `upstream` axis local to the stage and the
    param `model: ${upstream}`; False (reported) when the family cannot be built."""
    base = ("stages", info.name, "family")
    (param, members), = info.stage.family.items()
    field_info = info.op.params.model_fields.get(param)
    ref = next((m for m in field_info.metadata if isinstance(m, Ref)), None) if field_info else None
    ok = True
    if ref is None or "model" not in ref.accepts:
        models = [n for n, f in info.op.params.model_fields.items()
                  if any(isinstance(m, Ref) and "model" in m.accepts for m in f.metadata)]
        diags.error(base + (param,), f"stages.{info.name}.family: {info.op.name} has no model param "
                                     f"{param!r}; a family varies the model a stage reads",
                    names_hint(param, models) if models else f"{info.op.name} reads no model", at="key")
        return False
    if param in info.stage.params:
        diags.error(("stages", info.name, param), f"stages.{info.name}.{param}: set by the family; "
                                                  "remove it here", at="key")
        ok = False
    if FAMILY_AXIS in axes or FAMILY_AXIS in info.over:
        diags.error(base, f"stages.{info.name}.family: {FAMILY_AXIS!r} is already an axis; a family "
                          f"names its members in an {FAMILY_AXIS!r} column", at="key")
        ok = False
    for i, member in enumerate(members):
        kind = kind_of(member, spec, infos)
        if member in unchecked or kind == "model":
            continue
        what = f"a {kind} stage" if member in infos else ("a data source" if kind == "data" else "not declared")
        fitting = [n for n in [*spec.models, *infos] if kind_of(n, spec, infos) == "model"]
        diags.error(base + (param, i), f"stages.{info.name}.family.{param}: {member!r} is {what}; a family's "
                                       "members are models (a models: entry or a training stage)",
                    names_hint(member, fitting) if kind is None else f"models here: {', '.join(fitting)}")
        ok = False
    if ok:
        info.stage = info.stage.model_copy(update={"over": [FAMILY_AXIS, *info.stage.over],
                                                   param: "${" + FAMILY_AXIS + "}"})
        info.family = tuple(members)
    return ok


def _check_params(spec: Spec, info: StageInfo, rows: list[dict], axes: set[str],
                  infos: dict[str, StageInfo], diags: Diagnostics, unchecked: set[str]) -> None:
    raw = info.stage.params
    base = ("stages", info.name)
    used: list[str] = []
    for path, axis, _whole in placeholders(raw):
        if not axis:
            diags.error(base + path, f"stages.{info.name}: unclosed '${{' in {show(_get(raw, path))}",
                        "write ${axis} to take an axis value")
        elif axis not in info.over:
            where = "is not an axis of the design" if axis not in axes else f"is not in this stage's over {list(info.over)}"
            diags.error(base + path, f"stages.{info.name}: ${{{axis}}} {where}",
                        names_hint(axis, info.over) if axis not in axes else f"add {axis!r} to over")
        elif axis not in axes:
            diags.error(base + path, f"stages.{info.name}: ${{{axis}}} is derived from an upstream "
                                     "stage; only design axes can be params")
        elif axis not in used:
            used.append(axis)
    fields = info.op.params.model_fields
    if "seed" in fields and raw.get("seed") is None and "seed" in info.over and "seed" in axes:
        raw = {**raw, "seed": "${seed}"}   # the task's seed: its condition's seed axis
        used.append("seed") if "seed" not in used else None
    elif "seed" in fields and raw.get("seed") is None:
        raw = {**raw, "seed": spec.seed}   # no seed axis: the spec's seed, explicit in the key
    if any(p[1] == "" or p[1] not in axes or p[1] not in info.over for p in placeholders(raw)):
        return
    info.axis_params = tuple(used)
    combos = list(dict.fromkeys(tuple(r[a] for a in used) for r in rows)) if used else [()]
    seen_errors: set[tuple] = set()
    for combo in combos:
        condition = dict(zip(used, combo))
        values = substitute(raw, condition)
        when = ", ".join(f"{a}={v}" for a, v in condition.items())
        context = f" (when {when})" if when else ""
        try:
            params = info.op.params.model_validate(values)
        except ValidationError as exc:
            local = Diagnostics(diags.file, diags.source_map)
            report_validation_error(exc, local, info.op.params, values, base, context, relative=2,
                                    extra_keys=STAGE_KEYS)
            for d in local.items:
                if (d.line, d.col, d.message.replace(context, "")) not in seen_errors:
                    seen_errors.add((d.line, d.col, d.message.replace(context, "")))
                    diags.items.append(d)
            continue
        info.combos[combo] = params
        before = set(info.upstream)
        info.upstream.clear()
        _check_refs(spec, info, params, infos, base, context, seen_errors, diags, unchecked)
        info.combo_upstream[combo] = set(info.upstream)  # `model: ${variant}` reads one stage per task
        info.upstream |= before
        _check_tokenizer(spec, info, params, infos, base, context, seen_errors, diags)


def _check_refs(spec, info, params, infos, base, context, seen, diags, unchecked) -> None:
    for path, ref, value in refs_in_params(params):
        parsed = parse_data_ref(value)
        target, split = (parsed.source, parsed.part or "") if parsed else (ref_source(value), "")
        limited = parsed is not None and parsed.limit is not None
        if target in unchecked:
            continue
        kind = kind_of(target, spec, infos)
        loc = base + path
        problem = None
        if parsed is None and kind is not None:
            problem = (f"stages.{info.name}.{_dotted(path)}: {value!r} is not a reference like "
                       "'source', 'source.part' or 'source.part[:100]'",
                       "limit with [:N] (the first N records) or [sample:N] (a seeded sample of N)")
        elif limited and kind != "data" and kind is not None:
            problem = (f"stages.{info.name}.{_dotted(path)}: {value!r}: only data references take a "
                       "limit ([:N])", None)
        elif kind is None:
            fitting = [n for n in [*spec.data, *spec.models, *infos]
                       if kind_of(n, spec, infos) in ref.accepts and n != info.name]
            hint = did_you_mean(target, fitting) or (
                f"candidates: {', '.join(fitting)}" if fitting else _declare_hint(ref))
            problem = (f"stages.{info.name}.{_dotted(path)}: {target!r} is not a data source, model or stage",
                       hint)
        elif kind not in ref.accepts:
            problem = (f"stages.{info.name}.{_dotted(path)}: {target!r} is a {kind} "
                       f"{'source' if kind == 'data' else ''}".rstrip() + f", but this param needs {_needs(ref)}",
                       _candidates(ref, spec, infos))
        elif kind == "data" and split:
            source = spec.data[target]
            splits = source.split.parts if isinstance(source, _LocalSource) and source.split else {}
            if split not in splits:
                problem = (f"stages.{info.name}.{_dotted(path)}: data source {target!r} has no split {split!r}",
                           names_hint(split, splits) if splits else f"declare `split:` on data.{target}")
        elif split:
            problem = (f"stages.{info.name}.{_dotted(path)}: {value!r}: only data sources have parts (source.split)",
                       None)
        if target == info.name and target not in spec.data and target not in spec.models:
            problem = (f"stages.{info.name}.{_dotted(path)}: a stage cannot read its own output", None)
        if problem:
            key = (loc, problem[0])
            if key not in seen:
                seen.add(key)
                diags.error(loc, problem[0] + context, problem[1])
        elif target in infos and target not in spec.data and target not in spec.models:
            info.upstream.add(target)
            if kind in ("model", "tokenizer"):
                info.single_inputs.setdefault(target, path)


def _check_tokenizer(spec, info, params, infos, base, context, seen, diags) -> None:
    """A model built from a config has no tokenizer of its own. The stage that takes
    it straight from `models:` must name one; stages downstream inherit it."""
    if "tokenizer" not in type(params).model_fields or getattr(params, "tokenizer") is not None:
        return
    name = getattr(params, "model", None)
    model = spec.models.get(name) if isinstance(name, str) else None
    if getattr(model, "kind", None) != "config":
        return
    message = f"stages.{info.name}: model {name!r} is built from a config and has no tokenizer"
    if (base, message) not in seen:  # once, not once per condition
        seen.add((base, message))
        diags.error(base, message, "set `tokenizer:` to a train.tokenizer stage", at="key")


def _declare_hint(ref: Ref) -> str:
    where = {"data": "declare it under `data:`", "model": "declare it under `models:` or name a training stage",
             "tokenizer": "name a train.tokenizer stage", "table": "name a stage that produces a table"}
    return "; or ".join(where[a] for a in ref.accepts)


def _needs(ref: Ref) -> str:
    words = {"data": "a data source", "model": "a model (models: entry or a training stage)",
             "tokenizer": "a tokenizer stage", "table": "a stage that produces a table"}
    return " or ".join(words[a] for a in ref.accepts)


def _candidates(ref: Ref, spec: Spec, infos: dict[str, StageInfo]) -> str:
    names = [n for n in [*spec.data, *spec.models, *infos] if kind_of(n, spec, infos) in ref.accepts]
    return ("candidates: " + ", ".join(names)) if names else "nothing in this spec qualifies"


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def _get(value: Any, path: tuple) -> Any:
    for p in path:
        value = value[p]
    return value


def available_axes(infos: dict[str, StageInfo], design_axes: list[str], order: list[str]) -> dict[str, dict[str, str]]:
    """For each stage: derived axis -> the upstream stage that provides it."""
    provided: dict[str, dict[str, str]] = {}
    for name in order:
        info = infos[name]
        mine: dict[str, str] = {}
        for up in sorted(info.upstream):
            up_info = infos[up]
            for axis in up_info.over:
                if axis not in design_axes:
                    mine.setdefault(axis, up)
            params = up_info.any_params
            if up_info.op.axes and params is not None:
                for axis in up_info.op.axes(params):
                    mine.setdefault(axis, up)
        provided[name] = mine
    return provided


def check_over(infos, design_axes, provided, diags, broken_axes=frozenset()) -> None:
    for name, info in infos.items():
        upstream_broken = not info.combos or any(not infos[u].combos for u in info.upstream)
        for i, axis in enumerate(info.over):
            if axis in design_axes or axis in provided.get(name, {}) or upstream_broken or axis in broken_axes \
                    or (info.family and axis == FAMILY_AXIS):
                continue
            choices = list(design_axes) + list(provided.get(name, {}))
            diags.error(("stages", name, "over", i),
                        f"stages.{name}.over: {axis!r} is not an axis of the design or of an upstream stage",
                        names_hint(axis, choices))
        if len(set(info.over)) != len(info.over):
            diags.error(("stages", name, "over"), f"stages.{name}.over lists an axis twice")

