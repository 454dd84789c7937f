"""Summaries shaped like the hypothesis, for the measures whose condition means say little:

* a correlation joined on keys (`spearman(score.correct by UID, humans.total_mean by
  Condition)`): the joined per-key table (one row per key: both sides' means) and a
  scatter of it with the least-squares line;
* a difference of two arms (`diff_means`, `cohens_d`): each arm's mean with its 95%
  t-interval (over unit means when the table has the unit), drawn as points side by side on
  an axis fitted to them (bars from 0 hid a small difference between two large means),
  labelled by the conditions that tell them apart, beside the difference of the two means
  with its own interval — paired over the hypothesis' unit when both arms hold the same
  units, as the verdict pairs them (the arms' intervals carry the between-unit spread a
  paired difference cancels) — and, for `diff_means`, the expected threshold on it; when
  both arms hold a sweep (several `layer` or `alpha` values each: a lens, a steering
  sweep), one curve per arm along it instead;
* means of one column under different filters combined by arithmetic (`1 - mean(g.kl where
  n_layers > 0) / mean(g.kl where n_layers == 0)`): each mean as an arm, the same way.

Rows are filtered as the verdict filters them (the argument's own `where` and those
around the call), with verdicts.cells.filtered; the numbers are descriptive, the
verdict's interval is the declared bootstrap.
"""
from __future__ import annotations

from typing import Any

from specc.compiler.measure_ast import Filtered

from .conditions import LEVEL, UNIT, _plain, mean_interval


def correlation_summary(hypothesis, tables) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    call = hypothesis.call
    if call is None or len(call.args) != 2 or not all(a.by for a in call.args):
        return None, None
    sides = [_key_means(arg, _scope(hypothesis), tables) for arg in call.args]
    if any(s is None for s in sides):
        return None, None
    (a, a_label), (b, b_label) = sides
    a.columns, b.columns = ["x"], ["y"]
    joined = a.join(b, how="inner")
    if len(joined) < 2:
        return None, None
    key = ", ".join(k.text for k in call.args[0].by)
    rows = [{"key": ", ".join(map(str, k)) if isinstance(k, tuple) else _plain(k),
             "x": float(r.x), "y": float(r.y)} for k, r in joined.sort_index().iterrows()]
    table = {"kind": "joined", "key": key, "x": a_label, "y": b_label, "rows": rows,
             "by": [], "function": call.func.text}
    import numpy as np
    xs, ys = np.array([r["x"] for r in rows]), np.array([r["y"] for r in rows])
    fit = None
    if np.ptp(xs) > 0:
        slope, intercept = np.polyfit(xs, ys, 1)
        fit = [float(slope), float(intercept)]
    figure = {"kind": "scatter", "x": a_label, "ylabel": b_label, "threshold": None,
              "series": [{"label": f"one point per {key}", "x": xs.tolist(), "y": ys.tolist(),
                          "keys": [r["key"] for r in rows]}],
              "fit": fit}
    return table, figure


def arms_summary(hypothesis, tables) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    call = hypothesis.call
    if call is None or len(call.args) != 2:
        return None, None
    table, figure = _arms(list(call.args), _scope(hypothesis), tables, call.func.text)
    if figure is not None and figure["kind"] == "arms":
        difference = _difference(list(call.args), _scope(hypothesis), tables, hypothesis.unit)
        if difference is not None:
            table["difference"] = difference
            figure["difference"] = {**difference, "label": " − ".join(figure["series"][0]["x"])}
            if call.func.text == "diff_means":   # the threshold is on the difference's scale
                figure["difference"]["threshold"] = hypothesis.expect.threshold
                figure["difference"]["threshold_upper"] = hypothesis.expect.upper
    return table, figure


def means_summary(hypothesis, plan, tables) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A measure that combines means of one column under filters on a column of the table,
    such as the share of a gap a graft closes, `1 - mean(g.kl where n_layers > 0) /
    mean(g.kl where n_layers == 0)`: each mean is an arm (a bar of the first mean alone would
    hide the baseline it is set against). Means that differ only in a design axis or a
    sweep (`checkpoint == last` against `first`) keep the condition figure: its curve shows
    every value of that axis."""
    from specc.compiler.measure_ast import Call, walk
    from specc.compiler.measure_format import format_measure
    calls = [n for n in walk(hypothesis.measure.expr) if isinstance(n, Call)]
    if len(calls) < 2 or any(c.func.text != "mean" or len(c.args) != 1 or c.args[0].by for c in calls):
        return None, None
    args = [c.args[0] for c in calls]
    if len({format_measure(a.column) for a in args}) != 1 or args[0].column.source not in plan.stages:
        return None, None
    conds = [{(c.column.text, format_measure(c)) for c in a.where.conds} if a.where else set() for a in args]
    apart = {column for column, _ in set.union(*conds) - set.intersection(*conds)}
    if not apart or apart & (set(plan.stages[args[0].column.source].over) | set(SWEEPS) | {"checkpoint", "tokens"}):
        return None, None
    return _arms(args, _scope(hypothesis), tables, "mean")


def _arms(args, scope, tables, function: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    from specc.compiler.measure_format import format_measure
    rows, frames = [], []
    for arg in args:
        values = _rows(arg, scope, tables)
        if values is None:
            return None, None
        frame, column = values
        frames.append(frame)
        units = frame.groupby(UNIT)[column].mean() if UNIT in frame.columns and not arg.by else (
            frame.groupby([k.text for k in arg.by])[column].mean() if arg.by else frame[column])
        n, mean, low, high = mean_interval(units.to_numpy())
        rows.append({"arm": format_measure(arg), "n": n, "mean": mean, "ci_low": low, "ci_high": high})
    over = "group means" if any(a.by for a in args) else (
        f"{UNIT} means" if all(UNIT in f.columns for f in frames) else "rows")
    table = {"kind": "arms", "rows": rows, "by": [], "level": LEVEL, "function": function,
             "interval": f"t over {over}"}
    labels = _arm_labels(args)
    sweep = _sweep(frames) if not any(a.by for a in args) else None
    if sweep is not None:   # each arm is a curve (a lens over layers, a steering sweep over alpha)
        series = [_curve(label, frame, sweep) for label, frame in zip(labels, frames)]
        figure = {"kind": "layers" if sweep == "layer" else "curve", "x": sweep,
                  "ylabel": f"mean {format_measure(args[0].column)}", "threshold": None,
                  "series": series}
        return table, figure
    same = len({format_measure(a.column) for a in args}) == 1
    ylabel = f"mean {format_measure(args[0].column)}" if same else "mean of each arm"
    figure = {"kind": "arms", "x": "arm", "ylabel": ylabel, "threshold": None,
              "series": [{"label": "arm mean", "x": labels, "y": [r["mean"] for r in rows],
                          "low": [r["ci_low"] for r in rows], "high": [r["ci_high"] for r in rows]}]}
    return table, figure


def _difference(args, scope, tables, unit: str | None) -> dict[str, Any] | None:
    """The first arm's mean minus the second's with its 95% t-interval: paired over `unit` (the
    hypothesis' resampling unit) when both arms hold exactly the same units, else Welch's
    interval over the arms' unit means (or rows). None for arms of keyed means."""
    import numpy as np
    from scipy import stats
    if any(a.by for a in args):
        return None
    found = [_rows(arg, scope, tables) for arg in args]
    if any(f is None for f in found):
        return None
    (a, column), (b, _) = found
    if unit and unit in a.columns and unit in b.columns:
        ua, ub = a.groupby(unit)[column].mean(), b.groupby(unit)[column].mean()
        if len(ua) > 1 and set(ua.index) == set(ub.index):
            n, mean, low, high = mean_interval((ua - ub.reindex(ua.index)).to_numpy())
            return {"n": n, "mean": mean, "ci_low": low, "ci_high": high, "level": LEVEL,
                    "interval": f"paired t over {n} {unit} means"}
    xa, xb = (f.groupby(UNIT)[column].mean() if UNIT in f.columns else f[column] for f in (a, b))
    xa, xb = xa.to_numpy(dtype=float), xb.to_numpy(dtype=float)
    mean = float(xa.mean() - xb.mean())
    interval = {"n": len(xa) + len(xb), "mean": mean, "ci_low": None, "ci_high": None, "level": LEVEL,
                "interval": f"Welch t, {len(xa)} vs {len(xb)}"}
    if len(xa) > 1 and len(xb) > 1 and (xa.var(ddof=1) > 0 or xb.var(ddof=1) > 0):
        ci = stats.ttest_ind(xa, xb, equal_var=False).confidence_interval(LEVEL)
        interval.update(ci_low=float(ci.low), ci_high=float(ci.high))
    return interval


# Columns along which a table holds a curve per item: a lens's layers, a steering sweep's alphas.
SWEEPS = ("layer", "alpha")


def _sweep(frames) -> str | None:
    """The sweep column both arms vary along (several values in each), or None."""
    from .conditions import _flat_over
    for x in SWEEPS:
        if all(x in f.columns and f[x].nunique() > 1 for f in frames) and \
                not all(_flat_over(f, "__value", x) for f in frames):   # a per-item value on every layer
            return x
    return None


def _curve(label: str, frame, x: str) -> dict[str, Any]:
    """An arm's mean per sweep value, with its 95% t-interval over unit means."""
    points = {"label": label, "x": [], "y": [], "low": [], "high": []}
    for value, rows in frame.groupby(x, sort=True):
        units = rows.groupby(UNIT)["__value"].mean() if UNIT in rows.columns else rows["__value"]
        _, mean, low, high = mean_interval(units.to_numpy())
        for key, v in (("x", _plain(value)), ("y", mean), ("low", low), ("high", high)):
            points[key].append(v)
    return points


def _arm_labels(args) -> list[str]:
    """Short labels: the `where` conditions that tell the arms apart (`variant == "it"`),
    else each arm's whole text. Long arm texts side by side overlap on an axis."""
    from specc.compiler.measure_format import format_measure
    conds = [[format_measure(c) for c in a.where.conds] if a.where else [] for a in args]
    shared = set.intersection(*(set(c) for c in conds)) if conds else set()
    own = [[c for c in mine if c not in shared] for mine in conds]
    if all(own) and len({format_measure(a.column) for a in args}) == 1 and \
            len({tuple(o) for o in own}) == len(own):
        return [" and ".join(o) for o in own]
    return [format_measure(a) for a in args]


def _scope(hypothesis) -> list:
    """The conditions of every `where` around the measure's one call."""
    expr, conds = hypothesis.measure.expr, []
    while isinstance(expr, Filtered):
        conds += list(expr.where.conds)
        expr = expr.expr
    return conds


def _rows(arg, scope, tables):
    """The argument's filtered rows with its value in column `__value`, or None."""
    from specc.verdicts.cells import MeasureEvalError, filtered, row_values
    source = arg.column.source
    try:
        frame = tables.get(source)
        conds = list(arg.where.conds) if arg.where else []
        conds += [c for c in scope if c.source is None or c.source.text == source]
        rows = frame[filtered(frame, conds, source)]
        value = row_values(arg.expr if arg.expr is not None else arg.column, rows, source)
    except (LookupError, MeasureEvalError, TypeError):
        return None
    rows = rows.assign(__value=value.astype(float)).dropna(subset=["__value"])
    return (rows, "__value") if len(rows) else None


def _key_means(arg, scope, tables):
    from specc.compiler.measure_format import format_measure
    found = _rows(arg, scope, tables)
    if found is None:
        return None
    rows, column = found
    keys = [k.text for k in arg.by]
    if any(k not in rows.columns for k in keys):
        return None
    means = rows.groupby(keys)[[column]].mean()
    means.index = means.index.to_flat_index() if len(keys) > 1 else means.index
    return means, format_measure(arg.expr if arg.expr is not None else arg.column)
