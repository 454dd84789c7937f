"""A series argument, `<expr> per key`: the expression prepared once per value of `key`.

    first_reaching(pearson(score.pref by item, humans.pref by item) per tokens, level=0.5)

Each slice is the inner expression with `key == value` added to the filters of every
table read inside it that has the key column; a table without it (a human reference) is
read whole in every slice. Slices share the measure's units, so one resample draws the
same items (seeds, UIDs) in every slice, and the bootstrap recomputes the whole
expression from the multiplicities.

A point's weight is 1 — or, when every slice holds exactly one resampling unit (a series
per seed resampled over seeds), that unit's multiplicity, so a seed drawn twice counts
twice and a seed not drawn is left out, as `by` groups are (cells.py). A point whose value
is undefined (NaN) makes the summary undefined in that resample (see `complete`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from specc.compiler.measure_ast import Cond, Literal, Name, Per, sources
from specc.compiler.measure_format import format_measure

from .cells import MeasureEvalError, filtered

Fn = Callable[[np.ndarray], np.ndarray]


@dataclass
class PreparedSeries:
    per: Per
    keys: list                      # (V,) the key values, ascending when numbers
    slices: list[Fn]                # (V,) the inner expression on each key value's rows
    slice_unit: np.ndarray | None   # (V,) the one unit of each slice, or None (weight 1)

    @property
    def label(self) -> str:
        return format_measure(self.per.expr)

    def points(self, ext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values, weights), each (B, V), for unit multiplicities `ext` (B, U+1)."""
        values = np.stack([f(ext) for f in self.slices], axis=1)
        weights = (ext[:, self.slice_unit] if self.slice_unit is not None
                   else np.ones_like(values))
        return values, np.where(np.isfinite(values), weights, 0.0)

    def complete(self, ext: np.ndarray, values: np.ndarray) -> np.ndarray:
        """(B,) False where a point that is in the resample has no value (a correlation of a
        constant column, a first_reaching that never reaches its level): the summary is then
        undefined, never the summary of the other points — `max(first_reaching(...) per
        model)` must not ignore the model that never gets there."""
        present = (ext[:, self.slice_unit] > 0 if self.slice_unit is not None
                   else np.ones(values.shape, dtype=bool))
        return ~(present & ~np.isfinite(values)).any(axis=1)


def prepare_series(prepared: Any, per: Per, scope: list[Cond]) -> PreparedSeries:
    """Prepare `per.expr` on each key value (`prepared` is the PreparedMeasure)."""
    key = per.key.text
    label = f"{format_measure(per.expr)} per {key}"
    read = list(dict.fromkeys(n.text for n in sources(per.expr)))
    having = [s for s in read if key in prepared.tables.get(s).columns]
    if not having:
        raise MeasureEvalError(f"{label}: no table it reads ({', '.join(read)}) has a column {key!r}")
    keys = _key_values(prepared.tables, having, key, scope)
    if not keys:
        raise MeasureEvalError(f"{label}: no rows, so no value of {key}")
    slices, units = [], []
    for value in keys:
        conds = scope + [Cond(Name(key), "==", Literal(value), Name(s)) for s in having]
        first = len(prepared.calls)
        try:
            slices.append(prepared._prepare(per.expr, conds))
        except MeasureEvalError as exc:
            raise MeasureEvalError(f"{label}, at {key} == {value!r}: {exc}") from None
        cells = [c for _, recorded in prepared.calls[first:] for c in recorded]
        units.append({int(u) for c in cells for u in c.cell_unit if u >= 0})
    one_each = all(len(u) == 1 for u in units) and len({min(u) for u in units}) == len(units)
    slice_unit = np.array([min(u) for u in units]) if one_each else None
    return PreparedSeries(per, keys, slices, slice_unit)


def _key_values(tables: Any, having: list[str], key: str, scope: list[Cond]) -> list:
    """The key's values among the rows the series reads (after the enclosing filters that
    apply to each table), ascending when they are all numbers, else as first seen."""
    seen: dict = {}
    for source in having:
        frame = tables.get(source)
        conds = [c for c in scope if (c.source is None or c.source.text == source)
                 and c.column.text in frame.columns]
        rows = frame[filtered(frame, conds, f"per {key}")] if conds else frame
        for v in pd.unique(rows[key]):
            seen.setdefault(v.item() if isinstance(v, np.generic) else v, None)
    values = list(seen)
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        values.sort()
    return values
