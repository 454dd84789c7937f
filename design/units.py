"""How many resampling units a hypothesis will have, read from the compiled plan.

    design axes (seed, model, condition ...)   distinct values among the tasks of the
                                               stage the measure reads (axes its `where`
                                               fixes do not multiply `condition`)
    item                                       records of the data source the stage scores
                                               (after its split and limit), or of the source
                                               itself; of every source whose records are the
                                               stage's rows when its op says so (a k-way
                                               classifier's held-out records of k sources)
    any other column (UID, group ...)          distinct values of that column in the data
                                               source that has it (local files up to 64 MB)

Nothing here runs a task: a count that cannot be known before running is None.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from specc.compiler.measure_ast import Arg, Call, column_uses
from specc.compiler.splits import parse_data_ref

MAX_BYTES = 64 * 2**20          # read a local file's column only up to this size


@dataclass(frozen=True)
class Units:
    n: int | None
    what: str                   # "12 values of UID in pairs", "3 seeds of pretrain" ...
    identity: tuple = ()        # equal for two arguments resampled over the same units (paired)


def arg_units(plan, arg: Arg, unit: str, by_is_unit: bool = True) -> Units:
    """Units of one argument of a call, resampled over `unit` (its `by` key when grouped
    and `by_is_unit`: the key two arguments are joined on)."""
    source = arg.column.source
    key = arg.by[-1].text if arg.by and by_is_unit else unit
    fixed = {u.column for u in column_uses(arg) if u.role == "where"}
    if source in plan.stages:
        return _stage_units(plan, source, key, fixed)
    return _data_units(plan, source, key)


def call_units(plan, call: Call, unit: str) -> list[Units]:
    # Two arguments grouped `by` a key are joined on it, and the key is what is resampled
    # (spearman(a by UID, b by Condition)). One argument grouped `by` an axis is a curve
    # (argmax, first_reaching, range over checkpoint or rate): the hypothesis's unit (items)
    # is resampled and the curve recomputed, so its units are that unit's, not the axis values.
    return [arg_units(plan, a, unit, by_is_unit=len(call.args) > 1) for a in call.args]


def _stage_units(plan, stage: str, key: str, fixed: set[str]) -> Units:
    st = plan.stages[stage]
    tasks = plan.tasks[st.first:st.first + st.count]
    axes = {a for t in tasks for a, _ in t.condition}
    # An axis the spec names `condition` is that axis; otherwise `condition` is the stage's
    # combination of axes.
    if key == "condition" and key not in axes:
        conditions = {tuple((a, v) for a, v in t.condition if a not in fixed) for t in tasks}
        return Units(len(conditions), f"{len(conditions)} conditions of {stage}",
                     ("condition", frozenset(conditions)))
    if key in axes:
        values = {v for t in tasks for a, v in t.condition if a == key}
        return Units(len(values), f"{len(values)} values of {key} in {stage}", (key, frozenset(values)))
    rows_of = _item_sources(plan, stage) if key in ("item", "row") else None
    if rows_of:   # the rows are the records of several sources, each once: their counts add up
        found = [_data_units(plan, parse_data_ref(ref).source, key, ref) for ref in rows_of]
        if all(f.n is not None for f in found):
            n = sum(f.n for f in found)
            return Units(n, f"{n} items of {' + '.join(rows_of)}, scored by {stage}",
                         (stage, tuple(f.identity for f in found)))
        return Units(None, f"{key} of {stage}: known only after running")
    for ref in _data_refs(plan, stage):
        found = _data_units(plan, parse_data_ref(ref).source, key, ref)
        if found.n is not None:
            return Units(found.n, f"{found.what}, scored by {stage}", found.identity)
    return Units(None, f"{key} of {stage}: known only after running")


def _item_sources(plan, stage: str) -> list[str] | None:
    """The data references whose records are the stage's rows, as its op declares them
    (the first task's params; every reference a data source of the spec), else None."""
    from specc.ops import OPS
    st = plan.stages[stage]
    op = OPS.get(st.op) if st.op in OPS else None
    if op is None or op.item_sources is None or not st.params:
        return None
    refs = op.item_sources(next(iter(st.params.values())))
    parsed = [parse_data_ref(r) if isinstance(r, str) else None for r in refs]
    if not refs or any(p is None or p.source not in plan.data for p in parsed):
        return None
    return list(refs)


def _data_refs(plan, stage: str) -> list[str]:
    """The data references (`probe`, `prefs.heldout[:60]`) a stage's params name, in param order."""
    found = []
    for params in plan.stages[stage].params.values():
        for value in params.values():
            if not isinstance(value, str):
                continue
            ref = parse_data_ref(value)
            if ref is not None and ref.source in plan.data and value not in found:
                found.append(value)
    return found


def _data_units(plan, source: str, key: str, label: str | None = None) -> Units:
    """Units in a source, or in the part of it a reference reads (`label`, which may carry a
    limit: "probe[sample:40]", "prefs.heldout[:60]")."""
    info = plan.data.get(source)
    if info is None or info.stats is None:
        return Units(None, f"{key} of {source}: unknown before loading")
    label = label or source
    if key in ("item", "row"):
        ref = parse_data_ref(label)
        n = info.stats.records
        if ref is not None and ref.part:
            n = info.part_sizes.get(ref.part, int(n * info.splits.get(ref.part, 1.0)))
        if ref is not None and ref.limit is not None:
            n = min(n, ref.limit)   # a limited reference reads at most its limit
        return Units(n, f"{n} items of {label}", (label, key))
    if key not in info.columns:
        return Units(None, f"{key} is not a column of {source}")
    values = distinct_values(tuple(info.files), info.kind, key)
    if values is None:
        return Units(None, f"{key} of {source}: too large to count before running")
    return Units(values, f"{values} values of {key} in {source}", (source, key))


def distinct_values(files: tuple[Path, ...], kind: str, column: str) -> int | None:
    import pandas as pd
    if sum(Path(f).stat().st_size for f in files) > MAX_BYTES:
        return None
    seen: set = set()
    for f in files:
        if kind == "csv":
            frame = pd.read_csv(f, usecols=[column])
        elif kind == "jsonl":
            frame = pd.read_json(f, lines=True)
        elif kind == "parquet":
            frame = pd.read_parquet(f, columns=[column])
        else:
            return None
        if column in frame:
            seen.update(frame[column].dropna().tolist())
    return len(seen)
