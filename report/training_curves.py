"""Training curves in results.md: whenever a spec trains, the loss and the monitored
metrics of every training stage over tokens (pretraining) or steps (fine-tuning), one
line per condition, read from each task's `history.parquet`.

    curves = training_curves(plan, store)          # into results.json ("training_curves")
    shown = draw_training_curves(curves, out_dir)  # figures/training/<stage>.png
    training_view(curves, shown)                   # what the template lays out

A long run has one history row per optimiser step (100k steps for 10B tokens); the
stored curve is cut into at most MAX_POINTS bins, each the mean of its rows, which keeps
results.json small and smooths the per-step noise without moving the trend. The final
value of each metric is the last step's, unbinned.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

# Metrics shown when a history has them, in this order (loss first).
METRICS = ("loss", "grad_norm", "logp_chosen", "logp_rejected", "reward_margin", "reward_accuracy",
           "replay_loss")
MAX_POINTS = 400
FOLDER = "training"          # under the report's figures/
SIZE_PER_METRIC = (6.4, 2.2)  # inches
DPI = 120
_STYLE = {"axes.grid": True, "axes.axisbelow": True, "grid.alpha": 0.3,
          "axes.spines.top": False, "axes.spines.right": False}


def training_curves(plan, store) -> dict[str, dict[str, Any]]:
    """{stage: {op, x, metrics, series: [{label, x, values: {metric: [...]}, final: {...}}]}}
    for every stage whose tasks wrote a history (those in the store now)."""
    from specc.ops import OPS
    curves: dict[str, dict[str, Any]] = {}
    for name, stage in plan.stages.items():
        if OPS.get(stage.op).produces != "model":
            continue
        series, x_name = [], None
        for task in (t for t in plan.tasks if t.stage == name):
            frame = _history(store, task.key) if store.has(task.key) else None
            if frame is None:
                continue
            x_name = x_name or ("tokens" if "tokens" in frame.columns else "step")
            metrics = [m for m in METRICS if m in frame.columns and frame[m].notna().any()]
            if frame.empty or x_name not in frame.columns or not metrics:
                continue
            label = ", ".join(f"{k}={v}" for k, v in task.condition) or name
            series.append(_series(frame, x_name, metrics, label))
        if series:
            shown = [m for m in METRICS if any(m in s["values"] for s in series)]
            curves[name] = {"op": f"{stage.op}@{stage.version}", "x": x_name, "metrics": shown,
                            "series": series}
    return curves


def _history(store, key: str):
    """The artifact's history.parquet, read straight from the store (no copy of the model
    beside it from a remote store), or None when the op keeps none."""
    import pandas as pd
    path = f"{store.path(key)}/history.parquet"
    if not store.fs.exists(path):
        return None
    with store.fs.open(path, "rb") as f:
        return pd.read_parquet(f)


def _series(frame, x_name: str, metrics: list[str], label: str) -> dict[str, Any]:
    import numpy as np
    frame = frame.sort_values(x_name)
    bins = np.array_split(np.arange(len(frame)), min(MAX_POINTS, len(frame)))
    xs = frame[x_name].to_numpy(dtype=float)
    out = {"label": label, "x": [float(xs[b].mean()) for b in bins], "values": {}, "final": {}}
    for m in metrics:
        ys = frame[m].to_numpy(dtype=float)
        out["values"][m] = [_mean(ys[b]) for b in bins]
        out["final"][m] = _finite(ys[-1])
    out["final"][x_name] = float(xs[-1])
    return out


def _mean(values) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else None


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def draw_training_curves(curves: dict[str, dict[str, Any]], figures_dir: Path) -> dict[str, str]:
    """One PNG per stage (a panel per metric, a line per condition) under
    `figures_dir/training/`; stale ones removed. Returns {stage: path relative to the report}."""
    folder = Path(figures_dir) / FOLDER
    shown: dict[str, str] = {}
    for stage, curve in curves.items():
        name = f"{_file_safe(stage)}.png"
        _draw(curve, folder / name)
        shown[stage] = f"{Path(figures_dir).name}/{FOLDER}/{name}"
    if folder.is_dir():
        for stale in folder.glob("*.png"):
            if stale.name not in {Path(p).name for p in shown.values()}:
                stale.unlink()
    return shown


def _draw(curve: dict[str, Any], path: Path) -> None:
    import matplotlib.style
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    path.parent.mkdir(parents=True, exist_ok=True)
    metrics = curve["metrics"]
    with matplotlib.style.context("default"), rc_context(_STYLE):
        fig = Figure(figsize=(SIZE_PER_METRIC[0], SIZE_PER_METRIC[1] * len(metrics) + 0.6), dpi=DPI)
        axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
        for ax, metric in zip(axes, metrics):
            for s in curve["series"]:
                pairs = [(x, y) for x, y in zip(s["x"], s["values"].get(metric, [])) if y is not None]
                if pairs:
                    ax.plot(*zip(*pairs), linewidth=1.2, label=s["label"])
            ax.set_ylabel(metric)
        axes[-1].set_xlabel(curve["x"])
        handles, labels = axes[0].get_legend_handles_labels()
        if len(handles) > 1:
            axes[0].legend(handles, labels, fontsize="small", frameon=False)
        fig.tight_layout()
        fig.savefig(path, format="png", metadata={"Software": None})


def training_view(curves: dict[str, dict[str, Any]], shown: dict[str, str]) -> list[dict[str, Any]]:
    """Per stage: its figure and a table of each condition's final values."""
    view = []
    for stage, curve in curves.items():
        columns = [curve["x"], *curve["metrics"]]
        rows = [{"label": s["label"], "values": [s["final"].get(c) for c in columns]} for s in curve["series"]]
        view.append({"stage": stage, "op": curve["op"], "x": curve["x"], "metrics": curve["metrics"],
                     "columns": columns, "rows": rows, "figure": shown.get(stage),
                     "alt": f"{stage}: {', '.join(curve['metrics'])} by {curve['x']}"})
    return view


def _file_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
