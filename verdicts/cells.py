"""One argument of a measure call (`score.correct by UID where checkpoint == 300`),
reduced to what any resample needs.

Rows are filtered once, then collapsed into *cells*: rows sharing a group (the
`by` keys; one group without `by`) and a resampling unit. A cell keeps its row
count, sum, sum of squares, min and max; a resample only re-weights cells (the
multiplicity of their unit), so its cost is the number of cells, not rows.

Groups and units. Resampling draws units with replacement; a unit drawn twice is
two distinct units. So a group whose rows all belong to one unit (by UID, unit
UID) appears as often as its unit is drawn: its *frequency* is that unit's
multiplicity and its mean does not change. A group spanning many units (by UID,
unit item) appears once (if any of its units was drawn) and its mean is the
weighted mean of its cells. Rows of a table without the unit column (human norms
joined to model scores) are not resampled: weight 1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from specc.compiler.measure_ast import Apply, Arg, BinOp, Column, Cond, LiteralList, Number, Unary
from specc.compiler.measure_format import format_measure
from specc.measures import MeasureEvalError  # noqa: F401 (re-exported: verdicts raise it too)

CONDITION_UNIT = "condition"   # the combination of a stage's axes



@dataclass
class ArgCells:
    label: str                   # "score.correct by UID", for messages
    source: str
    column: str
    n_rows: int
    # per cell
    cell_unit: np.ndarray        # (C,) unit index, -1 when not resampled
    cell_group: np.ndarray       # (C,) group index
    n: np.ndarray                # (C,) rows
    s1: np.ndarray               # (C,) sum
    c1: np.ndarray               # (C,) sum of (value - the column's mean)
    s2: np.ndarray               # (C,) sum of (value - the column's mean)^2
    lo: np.ndarray               # (C,) min
    hi: np.ndarray               # (C,) max
    # per group
    keys: list[tuple]            # (G,) the `by` key values (row positions when paired by row)
    group_unit: np.ndarray       # (G,) the one unit of a single-unit group, else -1
    # per row (for medians and tests)
    values: np.ndarray           # (R,)
    row_unit: np.ndarray         # (R,)
    row_group: np.ndarray        # (R,)
    mask_key: tuple = ()         # identifies the filtered rows (same source + same filters)
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_groups(self) -> int:
        return len(self.keys)


def filtered(frame: pd.DataFrame, conds: list[Cond], what: str) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for cond in conds:
        name = cond.column.text
        if name not in frame.columns:
            raise MeasureEvalError(f"{what}: no column {name!r} to filter on")
        col = frame[name]
        if isinstance(cond.value, LiteralList):
            wanted = [lit.value for lit in cond.value.items]
            hit = col.isin(wanted)
            mask &= ~hit if cond.op == "not in" else hit
            continue
        v = cond.value.value
        if cond.value.kind == "position":   # first / last value of an ordered axis
            numeric = pd.to_numeric(col, errors="coerce")
            if numeric.isna().any() or col.dtype == bool:
                raise MeasureEvalError(f"{what}: '{name} {cond.op} {v}' needs an ordered (numeric) "
                                       f"{name}, got {col.iloc[0]!r}")
            v, col = (numeric.max() if v == "last" else numeric.min()), numeric
        mask &= {"==": col == v, "!=": col != v, "<": col < v, "<=": col <= v,
                 ">": col > v, ">=": col >= v}[cond.op]
    return mask


def unit_values(frame: pd.DataFrame, unit: str, axes: tuple[str, ...]) -> pd.Series | None:
    """Each row's unit, or None when the table does not have the unit (not resampled)."""
    if unit == CONDITION_UNIT and unit not in frame.columns:
        present = [a for a in axes if a in frame.columns]
        if not present:
            return None
        return pd.Series(list(zip(*(frame[a] for a in present))), index=frame.index)
    if unit in frame.columns:
        return frame[unit]
    return None


def row_values(node, rows: pd.DataFrame, label: str) -> pd.Series:
    """An argument's value on each row: a column, or arithmetic on columns of the table
    (`score.logp_good - score.logp_bad`, `log(score.ppl)`); non-numbers become NaN."""
    if isinstance(node, Column):
        if node.column not in rows.columns:
            raise MeasureEvalError(f"{label}: the table has no column {node.column!r}")
        col = rows[node.column]
        return pd.to_numeric(col.astype(float) if col.dtype == bool else col, errors="coerce")
    if isinstance(node, Number):
        return pd.Series(float(node.value), index=rows.index)
    if isinstance(node, Unary):
        return -row_values(node.operand, rows, label)
    if isinstance(node, BinOp):
        left, right = row_values(node.left, rows, label), row_values(node.right, rows, label)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[node.op]
    if isinstance(node, Apply):
        inner = row_values(node.operand, rows, label)
        if node.func.text == "log" and (inner <= 0).any():
            raise MeasureEvalError(f"{label}: log of a value <= 0 in {int((inner <= 0).sum())} row(s)")
        return {"abs": np.abs, "log": np.log, "exp": np.exp}[node.func.text](inner)
    raise MeasureEvalError(f"{label}: cannot evaluate {type(node).__name__} on rows")


def missing_values(values: pd.Series, rows: pd.DataFrame, label: str, source: str, tables: Any) -> str:
    """What an empty value error says: the column, where it lives (a data file, a stage's
    table) and the rows, numbered like an editor's lines where there is one file."""
    bad = [int(i) for i in rows.index[values.isna().to_numpy()]]
    files = getattr(getattr(tables, "plan", None), "data", {}).get(source)
    files = list(getattr(files, "files", ()) or ())
    kind = getattr(getattr(getattr(tables, "plan", None), "data", {}).get(source), "kind", None)
    if len(files) == 1 and kind in ("csv", "jsonl"):
        where = f"{files[0]}, line{'s' if len(bad) > 1 else ''} "
        numbers = [i + (2 if kind == "csv" else 1) for i in bad]
    else:
        where = (f"data source {source!r}" if files else f"stage {source!r}'s table") + ", row" + \
                ("s " if len(bad) > 1 else " ")
        numbers = [i + 1 for i in bad]
    shown = ", ".join(map(str, numbers[:10])) + (f" … ({len(numbers)} in all)" if len(numbers) > 10 else "")
    return (f"{label}: {len(bad)} empty or non-numeric value{'s' if len(bad) > 1 else ''} in {where}{shown}; "
            "fix the data, or declare `missing: drop` on the hypothesis to leave such rows out (counted "
            "in both reports)")


def build_cells(arg: Arg, conds: list[Cond], tables: Any, unit: str, units: "UnitIndex",
                by_override: tuple[str, ...] | None = None, by_row: bool = False,
                missing: str = "error", dropped: dict[str, int] | None = None) -> ArgCells:
    source, column = arg.column.source, arg.column.column
    label = f"{source}.{column}" if arg.expr is None else format_measure(arg.expr)
    frame = tables.get(source)
    for col in arg.columns:
        if col.column not in frame.columns:
            raise MeasureEvalError(f"{label}: the table has no column {col.column!r}")
    mask = filtered(frame, conds, label)
    rows = frame[mask]
    values = row_values(arg.expr if arg.expr is not None else arg.column, rows, label)
    if not np.isfinite(values.dropna().to_numpy(dtype=float)).all():
        raise MeasureEvalError(f"{label}: the value overflows (inf) on some rows")
    keep = values.notna().to_numpy()
    if not keep.all():   # never silently: an error naming the rows, or a declared, counted drop
        if missing != "drop":
            raise MeasureEvalError(missing_values(values, rows, label, source, tables))
        if dropped is not None:
            dropped[label] = dropped.get(label, 0) + int((~keep).sum())
    rows, values = rows[keep], values[keep].to_numpy(dtype=float)
    if len(rows) == 0:
        where = " where " + " and ".join(f"{c.column.text} {c.op} ..." for c in conds) if conds else ""
        raise MeasureEvalError(f"{label}{where}: no rows with a numeric value")
    raw_units = unit_values(rows, unit, tables.axes(source))
    row_unit = units.codes(raw_units) if raw_units is not None else np.full(len(rows), -1)
    by = by_override if by_override is not None else tuple(k.text for k in arg.by)
    if by_row:
        keys = [(i,) for i in range(len(rows))]
        row_group = np.arange(len(rows))
    elif by:
        missing = [k for k in by if k not in rows.columns]
        if missing:
            raise MeasureEvalError(f"{label}: no key column {missing[0]!r}")
        key_frame = rows[list(by)]
        codes, uniques = pd.MultiIndex.from_frame(key_frame).factorize()
        row_group = np.asarray(codes)
        keys = [tuple(u) if isinstance(u, tuple) else (u,) for u in uniques]
    else:
        keys, row_group = [()], np.zeros(len(rows), dtype=int)
    cell_id, cell_index = np.unique(np.stack([row_group, row_unit]), axis=1, return_inverse=True)
    cell_index = cell_index.ravel()
    C = cell_id.shape[1]
    n = np.bincount(cell_index, minlength=C).astype(float)
    s1 = np.bincount(cell_index, weights=values, minlength=C)
    # Variances come from sums of values centred on their mean, so columns with a large
    # mean (token counts ~1e9) keep their precision. Means use the plain sums: equal
    # values must stay exactly equal (ties in a rank correlation).
    ref = float(values.mean())
    centred = values - ref
    c1 = np.bincount(cell_index, weights=centred, minlength=C)
    s2 = np.bincount(cell_index, weights=centred ** 2, minlength=C)
    lo = np.full(C, np.inf)
    hi = np.full(C, -np.inf)
    np.minimum.at(lo, cell_index, values)
    np.maximum.at(hi, cell_index, values)
    cell_group, cell_unit = cell_id[0], cell_id[1]
    group_unit = np.full(len(keys), -2)
    for g, u in zip(cell_group, cell_unit):
        group_unit[g] = u if group_unit[g] in (-2, u) else -1
    group_unit[group_unit == -2] = -1
    # Copies of a unit are distinct units, so a group repeats with its unit only when the
    # `by` keys determine the unit (by UID, unit UID). When some group spans several units
    # (by UID, unit item) every group is re-weighted instead — even one that happens to
    # hold a single item — or that group would count as often as its one item is drawn.
    if (group_unit < 0).any():
        group_unit[:] = -1
    mask_key = (source, tuple(mask.to_numpy().nonzero()[0][keep].tolist()))
    return ArgCells(label, source, column, len(rows), cell_unit, cell_group, n, s1, c1, s2, lo, hi,
                    keys, group_unit, values, row_unit, row_group, mask_key)


class UnitIndex:
    """Every value of the resampling unit seen in the tables a measure reads, numbered."""

    def __init__(self, name: str):
        self.name = name
        self.index: dict[Any, int] = {}

    def codes(self, values: pd.Series) -> np.ndarray:
        local, uniques = pd.factorize(values, use_na_sentinel=False)
        known = np.array([self.index.setdefault(_hashable(u), len(self.index)) for u in uniques],
                         dtype=int)
        return known[local]

    def __len__(self) -> int:
        return len(self.index)


def _hashable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return tuple(v.tolist())
    if isinstance(v, float) and v.is_integer():
        return int(v)       # item 3 and item 3.0 are the same unit
    return v
