"""Compile-time checks of how stages read data: split parts and their sizes, `group_by`
columns, `limit`s that fit their part, and the opt-in leakage checks.

Part sizes are exact: the compiler cuts a split with the same function the runtime
uses (`splits.assign_parts`), reading the `group_by` column when there is one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .datafiles import column_values
from .errors import Diagnostics, names_hint
from .refs import refs_in_params
from .splits import assign_parts, group_key, limit_indices, parse_data_ref, split_seed
from .spec_model import HubSource, Spec


@dataclass(frozen=True)
class LeakageResult:
    """What one leakage check found, for the reports."""

    between: tuple[str, str]
    fields: tuple[str, str]
    overlap: int                  # distinct texts present in both
    sizes: tuple[int, int]        # records compared on each side
    example: str | None


def check_splits(spec: Spec, data: dict, diags: Diagnostics) -> None:
    """`group_by` names a column every file has; part sizes (exact) into data[name].part_sizes."""
    for name, source in spec.data.items():
        info = data.get(name)
        split = getattr(source, "split", None)
        if isinstance(source, HubSource) or info is None or info.stats is None or split is None:
            continue
        seed = split_seed(split, spec.seed)
        n = info.stats.records
        groups = None
        if split.group_by is not None:
            loc = ("data", name, "split", "group_by")
            if source.kind == "text":
                diags.error(loc, f"data.{name}.split.group_by: a plain-text source has one column "
                                 "(its lines); group_by needs records with fields", "use a jsonl, csv "
                                 "or parquet source, or drop group_by")
                continue
            if split.group_by not in info.columns:
                diags.error(loc, f"data.{name}.split.group_by: no column {split.group_by!r} in "
                                 f"{source.pattern!r}", names_hint(split.group_by, info.columns))
                continue
            groups = [group_key(v) for v in column_values(info.files, source.kind, split.group_by)]
            n = len(groups)
        parts = assign_parts(n, split.parts, seed, groups, contiguous=source.kind == "text") \
            if groups is not None else _sizes_only(n, split.parts)
        info.part_sizes = {part: len(rows) for part, rows in parts.items()}


def _sizes_only(n: int, fractions: dict[str, float]) -> dict[str, range]:
    """Part sizes of an ungrouped split without permuting (a big corpus has many lines)."""
    out, start = {}, 0
    names = list(fractions)
    for i, name in enumerate(names):
        end = n if i == len(names) - 1 else start + round(fractions[name] * n)
        out[name] = range(start, end)
        start = end
    return out


def records_of(ref: str, data: dict) -> int | None:
    """Records a reference's source or part holds before its limit (None: unknown, hub)."""
    parsed = parse_data_ref(ref)
    info = data.get(parsed.source) if parsed else None
    if info is None or info.stats is None:
        return None
    if parsed.part is None:
        return info.stats.records
    return info.part_sizes.get(parsed.part)


def check_limits(spec: Spec, infos: dict, data: dict, diags: Diagnostics) -> None:
    """A `limit` never asks for more records than its part has."""
    seen: set[tuple] = set()
    for name, info in infos.items():
        for combo, params in info.combos.items():
            # A limit taken from an axis (`prefs[sample:${n}]`) names the condition that asks too much.
            when = ", ".join(f"{a}={v}" for a, v in zip(info.axis_params, combo))
            for path, _ref, value in refs_in_params(params):
                parsed = parse_data_ref(value)
                if parsed is None or parsed.limit is None or parsed.source not in spec.data:
                    continue
                have = records_of(value, data)
                if have is None or parsed.limit <= have or (name, path) in seen:
                    continue
                seen.add((name, path))
                diags.error(("stages", name) + path,
                            f"stages.{name}.{'.'.join(map(str, path))}: limit {parsed.limit} is larger "
                            f"than {parsed.unlimited} ({have} records)" + (f" (when {when})" if when else ""),
                            f"ask for at most {have}, or drop the limit")


def check_leakage(spec: Spec, data: dict, diags: Diagnostics) -> list[LeakageResult]:
    """Exact-text overlap between the two references of each `leakage:` check."""
    results = []
    for i, check in enumerate(spec.leakage):
        fields = tuple(check.field) if isinstance(check.field, list) else (check.field, check.field)
        if len(fields) != 2:
            diags.error(("leakage", i, "field"), f"leakage[{i}].field: give one column, or one per reference")
            continue
        texts = []
        for j, (ref, column) in enumerate(zip(check.between, fields)):
            found = _texts(spec, data, ref, column, i, j, diags)
            if found is None:
                break
            texts.append(found)
        if len(texts) != 2:
            continue
        common = set(texts[0]) & set(texts[1])
        example = min(common) if common else None
        result = LeakageResult(tuple(check.between), fields, len(common), (len(texts[0]), len(texts[1])),
                               example)
        results.append(result)
        if common:
            shown = example if len(example) <= 80 else example[:77] + "..."
            texts_word = "text" if len(common) == 1 else "distinct texts"
            verb = "occurs" if len(common) == 1 else "occur"
            message = (f"leakage[{i}]: {len(common)} {texts_word} of {check.between[0]} "
                       f"({fields[0]}) also {verb} in {check.between[1]} ({fields[1]}), e.g. {shown!r}")
            hint = ("split with `group_by:` on the shared field so a text stays on one side, or "
                    "take the two parts from disjoint data")
            (diags.error if check.on_overlap == "error" else diags.warning)(("leakage", i), message, hint, at="key")
    return results


def _texts(spec, data, ref, column, i, j, diags) -> list[str] | None:
    loc = ("leakage", i, "between", j)
    field_loc = ("leakage", i, "field") + ((j,) if isinstance(spec.leakage[i].field, list) else ())
    parsed = parse_data_ref(ref)
    source = spec.data.get(parsed.source) if parsed else None
    if source is None or isinstance(source, HubSource):
        what = "a local data source or part" if parsed and parsed.source in spec.data else "a data reference"
        diags.error(loc, f"leakage[{i}].between: {ref!r} is not {what}", names_hint(ref, spec.data))
        return None
    info = data.get(parsed.source)
    if info is None or info.stats is None:
        return None  # the source itself is already reported
    if parsed.part and (source.split is None or parsed.part not in source.split.parts):
        diags.error(loc, f"leakage[{i}].between: data source {parsed.source!r} has no part {parsed.part!r}",
                    names_hint(parsed.part, source.split.parts if source.split else []))
        return None
    if source.kind != "text" and column not in info.columns:
        diags.error(field_loc, f"leakage[{i}].field: no column {column!r} in {parsed.source!r}",
                    names_hint(column, info.columns))
        return None
    values = column_values(info.files, source.kind, "text" if source.kind == "text" else column)
    rows: Any = range(len(values))
    if parsed.part:
        split = source.split
        groups = ([group_key(v) for v in column_values(info.files, source.kind, split.group_by)]
                  if split.group_by else None)
        rows = assign_parts(len(values), split.parts, split_seed(split, spec.seed), groups,
                            contiguous=source.kind == "text")[parsed.part]
    rows = list(rows)
    seed = split_seed(source.split, spec.seed)
    rows = [rows[k] for k in limit_indices(len(rows), parsed.limit, parsed.sample, seed)] \
        if parsed.limit is not None and parsed.limit <= len(rows) else rows
    return [str(values[r]) for r in rows if values[r] is not None]


def data_reading(plan) -> dict[str, Any]:
    """How the plan reads its data, in words for the reports: each split (its seed, grouping,
    whether it is resplit per seed), every limited reference, and the leakage checks."""
    spec = plan.spec
    splits = []
    for name, source in spec.data.items():
        split = getattr(source, "split", None)
        if split is None or isinstance(source, HubSource):
            continue
        info = plan.data.get(name)
        sizes = getattr(info, "part_sizes", {}) or {}
        parts = ", ".join(f"{p} {f:g}" + (f" ({sizes[p]:,} records)" if p in sizes else "")
                          for p, f in split.parts.items())
        if split.per_seed:
            how = "resplit for every task seed (per_seed)"
        else:
            how = f"fixed, seed {split_seed(split, spec.seed)}" + \
                  (" (split.seed)" if split.seed is not None else " (the spec's seed)")
        splits.append({"source": name, "parts": parts, "how": how, "group_by": split.group_by,
                       "per_seed": split.per_seed})
    limits, seen = [], set()
    for st_name, st in plan.stages.items():
        for params in st.params.values():
            for param, value in _data_values(params):
                parsed = parse_data_ref(value)
                if parsed is None or parsed.limit is None or (st_name, param, value) in seen:
                    continue
                seen.add((st_name, param, value))
                source = spec.data.get(parsed.source)
                seed = split_seed(getattr(source, "split", None), spec.seed)
                limits.append({"stage": st_name, "param": param, "ref": value,
                               "reads": f"{parsed.describe()} of {parsed.unlimited}"
                                        + (f" (seed {seed})" if parsed.sample else "")})
    leakage = [{"between": " vs ".join(r.between), "fields": " / ".join(dict.fromkeys(r.fields)),
                "overlap": r.overlap, "sizes": r.sizes} for r in plan.leakage]
    return {"splits": splits, "limits": limits, "leakage": leakage,
            "per_seed": [s["source"] for s in splits if s["per_seed"]]}


def _data_values(params: dict, prefix: str = ""):
    """(dotted param, value) of every string in resolved params that reads as a limited
    data reference; the compiler already checked which params are references."""
    for key, value in params.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _data_values(value, path + ".")
        elif isinstance(value, str) and "[" in value:
            yield path, value
