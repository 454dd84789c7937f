"""Per-condition summaries of what a hypothesis measures: a table and a figure.

A verdict reduces a stage's table to one number; the reader also wants to see the
column behind it across the design (which models, seeds, checkpoints carry the
effect). `condition_summary` takes the measure's first value column, groups its
stage's table by the stage's condition axes, and reports per group n, the mean
and a 95% t-interval of the mean.

The interval is over item means when the table has an `item` column (rows of one
item under several prompts are not independent draws), else over rows. It is a
description, not the verdict's interval: that one is the declared bootstrap.

`where` filters of the measure that select rows (`prompt == ""`) are applied;
filters on a condition axis or on the figure's x (`checkpoint == 300`, `alpha == 2.0`,
`layer == 2`) are not: the figure shows the whole curve, the point the verdict
reads being one of its points.
"""
from __future__ import annotations

import math
from typing import Any

from specc.compiler.measure_ast import Call, Cond, Filtered, Literal, Per, column_uses

LEVEL = 0.95
UNIT = "item"


def condition_summary(hypothesis, plan, tables
                      ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(condition table, figure) for a hypothesis (the compiler's CompiledHypothesis), or
    (None, None) when its measure's first column is not a numeric column of a stage's
    table. `tables.get(source)` gives a stage's table as a DataFrame with its condition
    columns (runtime.tables.MeasureTables)."""
    measure = hypothesis.measure
    threshold = hypothesis.expect.threshold
    fn = hypothesis.function
    from .series import series_summary
    shaped = series_summary(hypothesis, tables)   # a curve and what its summary reads from it
    if shaped[0] is not None:
        return shaped
    if fn is not None and fn.summary in ("correlation", "difference"):
        from .shapes import arms_summary, correlation_summary
        shaped = (correlation_summary if fn.summary == "correlation" else arms_summary)(hypothesis, tables)
        if shaped[0] is not None:
            return shaped
    if fn is None:   # arithmetic over calls: means of one column under different filters are arms
        from .shapes import means_summary
        shaped = means_summary(hypothesis, plan, tables)
        if shaped[0] is not None:
            return shaped
    first = next((u for u in column_uses(measure) if u.role == "value"), None)
    if first is None or first.source not in plan.stages:
        return None, None  # a data source has no conditions to summarise
    try:
        frame = tables.get(first.source)
    except LookupError:
        return None, None  # no task of the stage finished: nothing to summarise
    if frame is None or first.column not in frame.columns or not _numeric(frame[first.column]):
        return None, None
    axes = [a for a in plan.stages[first.source].over if a in frame.columns]
    varying = [a for a in axes if frame[a].nunique(dropna=False) > 1]
    kind, x = _figure_kind(frame, varying, first.column)
    unfiltered = set(axes) | ({x} if x else set())
    conds = [c for c in _conditions(measure.expr, first.source) if c.column.text not in unfiltered]
    frame, applied = _apply(frame, conds)
    by = varying + ([x] if x and x not in varying else [])
    rows = _group_stats(frame, first.column, by)
    if not rows:
        return None, None  # the filters left no numeric value
    table = {"source": first.source, "column": first.column, "by": by, "rows": rows,
             "interval": f"t over {UNIT} means" if UNIT in frame.columns else "t over rows",
             "level": LEVEL, "where": " and ".join(applied) or None}
    figure = _figure(kind, x, by, rows, f"mean {first.source}.{first.column}",
                     _comparable_threshold(hypothesis, threshold))
    upper = hypothesis.expect.upper       # `between a and b`: the upper bound, on the same scale
    if upper is not None and figure["threshold"] is not None:
        figure["threshold_upper"] = _comparable_threshold(hypothesis, upper)
    return table, figure


def _numeric(series) -> bool:
    import pandas as pd
    return pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)


def _figure_kind(frame, varying: list[str], column: str) -> tuple[str, str | None]:
    if "checkpoint" in varying:
        return "curve", "checkpoint"
    # `tokens` is training progress only in a training history (with `step`); in a
    # perplexity table it is a document's length, no x-axis.
    if {"tokens", "step"} <= set(frame.columns) and frame["tokens"].nunique() > 1:
        return "curve", "tokens"
    if ("layer" in frame.columns and "layer" not in varying and frame["layer"].nunique() > 1
            and not _flat_over(frame, column, "layer")):
        return "layers", "layer"
    # A steering sweep's strengths (probe.steer's alpha column, or an alpha axis).
    if "alpha" in frame.columns and frame["alpha"].nunique() > 1:
        return "curve", "alpha"
    return "bars", None


def _flat_over(frame, column: str, x: str) -> bool:
    """The column's mean is the same at every x: a per-item summary repeated on each of its
    rows (probe.graft's late_kl_*), whose curve would be a flat line."""
    import numpy as np
    means = frame.groupby(x)[column].mean().to_numpy(dtype=float)
    return bool(np.allclose(means, means[0], rtol=1e-9, atol=0.0))


# -- where filters ------------------------------------------------------------------

def _conditions(expr, source: str) -> list[Cond]:
    """The `where` conditions that filter the rows of `source` read by the measure's first
    call (the one its first value column comes from): its argument's own and the
    enclosing `... where` ones."""
    found = _first_call_conditions(expr, source)
    return found or []


def _first_call_conditions(expr, source: str) -> list[Cond] | None:
    """None when no call is under `expr` (a number), else the conditions on its path."""
    if isinstance(expr, Per):
        return _first_call_conditions(expr.expr, source)
    if isinstance(expr, Call):
        arg = expr.args[0] if expr.args else None
        if isinstance(arg, Per):   # summary(<expr> per KEY): the series' own calls
            return _first_call_conditions(arg.expr, source)
        if arg is None or arg.column.source != source or arg.where is None:
            return []
        return [c for c in arg.where.conds if c.source is None or c.source.text == source]
    if isinstance(expr, Filtered):
        inner = _first_call_conditions(expr.expr, source)
        if inner is None:
            return None
        return inner + [c for c in expr.where.conds if c.source is None or c.source.text == source]
    for child in (getattr(expr, "operand", None), getattr(expr, "left", None), getattr(expr, "right", None)):
        if child is not None:
            found = _first_call_conditions(child, source)
            if found is not None:
                return found
    return None


def _apply(frame, conds: list[Cond]):
    """Filter by each condition the evaluator would apply (verdicts.cells.filtered), one at
    a time: a condition that cannot apply here is left out, not an error (the verdict
    reports it; a summary shows what it can)."""
    from specc.verdicts.cells import MeasureEvalError, filtered
    applied = []
    for cond in conds:
        try:
            mask = filtered(frame, [cond], "condition summary")
        except (MeasureEvalError, TypeError):
            continue  # no such column, or text compared with numbers
        frame = frame[mask]
        applied.append(f"{cond.column.text} {cond.op} {_literal(cond.value)}")
    return frame, applied


def _literal(value) -> str:
    if isinstance(value, Literal):
        if value.kind == "string":
            return repr(value.value)
        return str(value.value).lower() if value.kind == "bool" else f"{value.value:g}"
    return "[" + ", ".join(_literal(v) for v in value.items) + "]"


# -- statistics ---------------------------------------------------------------------

def _group_stats(frame, column: str, by: list[str]) -> list[dict[str, Any]]:
    values = frame[[*by, column, *([UNIT] if UNIT in frame.columns else [])]].copy()
    values[column] = values[column].astype(float)
    values = values.dropna(subset=[column])
    if not by:
        groups = [((), values)]
    else:
        groups = [(k if isinstance(k, tuple) else (k,), g)
                  for k, g in values.groupby(by, sort=True, dropna=False)]
    rows = []
    for key, group in groups:
        units = group.groupby(UNIT)[column].mean() if UNIT in group.columns else group[column]
        n, mean, low, high = mean_interval(units.to_numpy())
        rows.append({**{a: _plain(v) for a, v in zip(by, key)},
                     "n": n, "mean": mean, "ci_low": low, "ci_high": high})
    return rows


def mean_interval(values, level: float = LEVEL) -> tuple[int, float | None, float | None, float | None]:
    """n, mean and the t-interval of the mean; None where undefined (JSON has no NaN)."""
    import numpy as np
    from scipy import stats
    values = np.asarray(values, dtype=float)
    n = int(values.size)
    if n == 0:
        return 0, None, None, None
    mean = float(values.mean())
    if n < 2:
        return n, mean, None, None
    sem = float(stats.sem(values))
    if sem == 0.0:
        return n, mean, mean, mean
    low, high = stats.t.interval(level, n - 1, loc=mean, scale=sem)
    return n, mean, float(low), float(high)


def _plain(value):
    """numpy scalars as Python values, for JSON."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# -- figure -------------------------------------------------------------------------

def _figure(kind: str, x: str | None, by: list[str], rows: list[dict], ylabel: str,
            threshold: float | None) -> dict[str, Any]:
    if kind == "bars":
        series = [{"label": ylabel, "x": [_label(r, by) for r in rows], "y": [r["mean"] for r in rows],
                   "low": [r["ci_low"] for r in rows], "high": [r["ci_high"] for r in rows]}]
    else:
        others = [a for a in by if a != x]
        grouped: dict[str, list[dict]] = {}
        for r in rows:
            grouped.setdefault(_label(r, others), []).append(r)
        series = []
        for label, points in grouped.items():
            points = sorted(points, key=lambda r: r[x])
            series.append({"label": label, "x": [r[x] for r in points], "y": [r["mean"] for r in points],
                           "low": [r["ci_low"] for r in points], "high": [r["ci_high"] for r in points]})
    return {"kind": kind, "x": x, "ylabel": ylabel, "threshold": threshold, "series": series}


def _label(row: dict, axes: list[str]) -> str:
    return ", ".join(f"{a}={row[a]}" for a in axes) or "all"


def _comparable_threshold(hypothesis, threshold: float | None) -> float | None:
    """The threshold when the measure is on its column's scale (its function's summary is
    `scale`: a mean or median; `shifted`: by the chance rate), else None: a correlation's
    threshold means nothing on a plot of means."""
    fn, call = hypothesis.function, hypothesis.call
    if threshold is None or fn is None or len(call.args) != 1:
        return None
    if fn.summary == "scale":
        return float(threshold)
    if fn.summary == "shifted":
        return fn.null_value(call, threshold)
    return None
