"""The figure and table of a hypothesis whose measure summarises a series.

    first_reaching(pearson(score.pref by item, humans.pref by item) per tokens, level=0.5)
    argmax(score.correct by checkpoint)          (a `by` curve of group means: the same picture)
    range(mean(post.alignment by seed) per condition) / median(std(post.alignment by seed) per condition)

The figure is the series itself — one point per key value, with a percentile bootstrap
band over the hypothesis's unit — and what the summary reads from it: the peak
(argmax), the level line and the first point reaching it (first_reaching), the largest /
smallest point (max, min, range), the value of a mean or median; the expect threshold
where it lives on the same axis (on the key axis for argmax / first_reaching). A
measure combining several summaries (the variance ratio) shows each of its series,
one point per condition.

The points are computed by the verdict's own evaluator (specc.verdicts.PreparedMeasure),
so they are exactly the values the summary reduced. The band is descriptive (each
point's own interval, a small bootstrap with a fixed seed); the verdict's interval is
the declared one.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from specc.compiler.measure_ast import Apply, Arg, BinOp, Call, Filtered, Measure, Name, Per, Unary, walk
from specc.compiler.measure_format import format_measure
from specc.measures import MEASURE_FUNCTIONS

N_RESAMPLES = 400
LEVEL = 0.95
SEED = 20261130


def series_summary(hypothesis, tables) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(table, figure) of the series the measure summarises, or (None, None) when the
    measure summarises none or it cannot be computed on these tables."""
    from specc.verdicts import MeasureEvalError, PreparedMeasure
    expr, summaries = _as_series(hypothesis.measure.expr)
    if not summaries:
        return None, None
    try:
        prepared = PreparedMeasure(Measure(expr), tables, hypothesis.unit, hypothesis.missing)
    except (MeasureEvalError, LookupError, TypeError, ValueError):
        return None, None
    single = len(summaries) == 1 and _single(expr) is summaries[0][0]
    shown = []
    for call, per, text in summaries:
        found = next((s for s in prepared.series if s.per is per), None)
        if found is None:
            return None, None
        try:
            shown.append({**_points(call, found, prepared), "text": text})
        except MeasureEvalError:   # e.g. argmax over text keys: the verdict says why
            return None, None
    return _table(shown, prepared), _figure(shown, hypothesis, single)


def _as_series(expr):
    """The expression with `argmax(x by key)`-style curves written as series
    (`argmax(mean(x) per key)`: the same points), and its top-level (call, Per) pairs."""
    found: list[tuple[Call, Per, str]] = []   # (summary call, its series, the call as written)

    def walk(node):
        if isinstance(node, Filtered):
            return Filtered(walk(node.expr), node.where, node.offset, node.end)
        if isinstance(node, BinOp):
            return BinOp(node.op, walk(node.left), walk(node.right), node.offset, node.end)
        if isinstance(node, (Unary, Apply)):
            rebuilt = walk(node.operand)
            return Unary(node.op, rebuilt) if isinstance(node, Unary) else Apply(node.func, rebuilt)
        if not isinstance(node, Call) or not node.args:
            return node
        fn = MEASURE_FUNCTIONS.get(node.func.text)
        arg = node.args[0]
        if isinstance(arg, Per):
            found.append((node, arg, format_measure(node)))
            return node
        if fn.ordered and len(arg.by) == 1:
            inner = Call(Name("mean"), (Arg(arg.column, (), arg.where, expr=arg.expr),))
            per = Per(inner, arg.by[0])
            call = Call(node.func, (per,), node.kwargs)
            found.append((call, per, format_measure(node)))
            return call
        return node
    return walk(expr), found


def _single(expr):
    while isinstance(expr, Filtered):
        expr = expr.expr
    return expr


def _points(call: Call, series, prepared) -> dict[str, Any]:
    U = prepared.n_units
    ext = np.ones((1, U + 1))
    values, weights = series.points(ext)
    y = values[0]
    low = high = [None] * len(y)
    if series.slice_unit is None and U >= 2:
        rng = np.random.default_rng(SEED)
        W = rng.multinomial(U, np.full(U, 1.0 / U), size=N_RESAMPLES).astype(float)
        draws, _ = series.points(np.concatenate([W, np.ones((N_RESAMPLES, 1))], axis=1))
        tail = (1 - LEVEL) / 2 * 100
        with warnings.catch_warnings():   # a point undefined in every resample: no band there
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanpercentile(draws, [tail, 100 - tail], axis=0)
        low, high = _clean(lo), _clean(hi)
    fn = MEASURE_FUNCTIONS.get(call.func.text)
    value = float(fn.series(call, values, weights, series.keys)[0]) if series.complete(ext, values)[0] \
        else float("nan")   # a point without a value: the summary is undefined, as in the verdict
    return {"call": call, "function": fn, "key": series.per.key.text, "keys": [_plain(k) for k in series.keys],
            "label": format_measure(series.per.expr), "y": _clean(y),
            "inner": next((n.func.text for n in walk(series.per.expr) if isinstance(n, Call)), "value"), "low": low, "high": high,
            "value": None if not np.isfinite(value) else value}


def _clean(a) -> list:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(a, dtype=float)]


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def _marks(s: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """(points to mark, horizontal lines) of what the summary reads from the series."""
    name, value, key = s["call"].func.text, s["value"], s["key"]
    at = {k: y for k, y in zip(s["keys"], s["y"])}
    points, lines = [], []
    if name in ("argmax", "argmin", "first_reaching") and value is not None:
        x = next((k for k in s["keys"] if isinstance(k, (int, float)) and float(k) == value), value)
        what = {"argmax": "peak", "argmin": "minimum", "first_reaching": "first to reach the level"}[name]
        points.append({"x": x, "y": at.get(x), "label": f"{what}: {key} = {value:g}"})
    if name == "first_reaching":
        lines.append({"y": float(s["call"].kwarg("level").value),
                      "label": f"level {float(s['call'].kwarg('level').value):g}"})
    if name in ("max", "min", "range"):
        for largest in ((True, False) if name == "range" else (name == "max",)):
            ys = [(y, k) for k, y in zip(s["keys"], s["y"]) if y is not None]
            if ys:
                y, k = max(ys, key=lambda p: p[0]) if largest else min(ys, key=lambda p: p[0])
                points.append({"x": k, "y": y, "label": f"{'largest' if largest else 'smallest'}: {y:.3g} at {key} = {k}"})
    if name in ("mean", "median") and value is not None:
        lines.append({"y": value, "label": f"{name} of the series = {value:.3g}"})
    return points, lines


def _figure(shown: list[dict], hypothesis, single: bool) -> dict[str, Any]:
    threshold = hypothesis.expect.threshold if single else None
    upper = hypothesis.expect.upper if single else None      # `between a and b`
    first = shown[0]
    name = first["call"].func.text
    figure = {"kind": "series", "x": " / ".join(dict.fromkeys(s["key"] for s in shown)),
              "ylabel": _ylabel(shown),
              "threshold": threshold if name in ("max", "min", "mean", "median") else None,
              "x_threshold": threshold if name in ("argmax", "argmin", "first_reaching") else None,
              "threshold_upper": upper if name in ("max", "min", "mean", "median") else None,
              "x_threshold_upper": upper if name in ("argmax", "argmin", "first_reaching") else None,
              "series": [], "marks": [], "lines": []}
    for k, s in enumerate(shown):
        figure["series"].append({"label": f"{s['label']} per {s['key']}", "x": s["keys"], "y": s["y"],
                                 "low": s["low"], "high": s["high"]})
        points, lines = _marks(s)
        figure["marks"] += [{**p, "series": k} for p in points]
        figure["lines"] += [{**line, "series": k} for line in lines]
    return figure


def _ylabel(shown: list[dict]) -> str:
    """The inner expression when short, else its function (the legend has it whole)."""
    if len(shown) > 1:
        return "value at each key"
    label = shown[0]["label"]
    if len(label) <= 40:
        return label
    inner = shown[0]["inner"]
    return f"{inner} (see the legend)"


def _table(shown: list[dict], prepared) -> dict[str, Any]:
    keys = list(dict.fromkeys(k for s in shown for k in s["keys"]))
    rows = []
    for k in keys:
        cells = []
        for s in shown:
            i = s["keys"].index(k) if k in s["keys"] else None
            cells.append({"value": s["y"][i] if i is not None else None,
                          "low": s["low"][i] if i is not None else None,
                          "high": s["high"][i] if i is not None else None})
        rows.append({"key": k, "cells": cells})
    banded = any(v is not None for s in shown for v in s["low"])
    return {"kind": "series", "key": " / ".join(dict.fromkeys(s["key"] for s in shown)),
            "columns": [s["label"] for s in shown], "rows": rows, "by": [],
            "summaries": [{"text": s["text"], "value": s["value"]} for s in shown],
            "level": LEVEL,
            "interval": (f"percentile bootstrap over {prepared.units.name}, {N_RESAMPLES} resamples"
                         if banded else None)}
