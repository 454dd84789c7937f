"""Draw a results figure (report/conditions.py's figure dict) as a PNG.

Built on a bare `matplotlib.figure.Figure`, never pyplot: pyplot keeps every figure
in a global registry and picks a backend for the whole process, and a report drawn
inside a long-lived driver must leave neither behind. Styles are matplotlib's
defaults inside a context, so a user's matplotlibrc cannot change the picture and
the context restores the caller's settings. The PNG carries no "Software" text,
so the same figure dict gives the same bytes on the same matplotlib.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

SIZE = (6.4, 4.0)     # inches
DPI = 120
LEGEND_WIDTH = 60    # characters per legend line
_STYLE = {"axes.grid": True, "axes.axisbelow": True, "grid.alpha": 0.3,
          "axes.spines.top": False, "axes.spines.right": False}


def draw(figure: dict[str, Any], path: str | Path) -> Path:
    """Write `figure` to `path` (a .png); returns the path."""
    import matplotlib.style
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.style.context("default"), rc_context(_STYLE):
        fig = Figure(figsize=SIZE, dpi=DPI)
        if figure["kind"] == "arms":   # a figure of its own: the arms' axes beside the difference's
            ax = _arms(fig, figure)
        else:
            ax = fig.add_subplot()
        if figure["kind"] == "bars":
            _bars(ax, figure["series"])
        elif figure["kind"] == "scatter":
            _scatter(ax, figure["series"], figure.get("fit"))
        elif figure["kind"] == "series":
            _series(ax, figure)
        elif figure["kind"] != "arms":
            _lines(ax, figure["series"])
        _expected(ax, figure.get("threshold"), figure.get("threshold_upper"), ax.axhline, ax.axhspan, "")
        ax.set_xlabel(figure.get("x") or "condition")
        ax.set_ylabel(figure.get("ylabel") or "")
        handles, labels = ax.get_legend_handles_labels()
        if len(handles) > 1:   # long labels (a series' whole expression) wrapped, not squeezing the axes
            ax.legend(handles, legend_labels(labels), fontsize="small", frameon=False)
        fig.tight_layout()
        fig.savefig(path, format="png", metadata={"Software": None})
    return path


def legend_labels(labels: list[str]) -> list[str]:
    """Labels wrapped at LEGEND_WIDTH characters: a series' label is its whole expression, and
    one long line makes tight_layout squeeze the axes to a sliver beside the legend."""
    return [textwrap.fill(label, LEGEND_WIDTH) for label in labels]


def _lines(ax, series: list[dict]) -> None:
    """One line per series with its interval as a shaded band (where it is defined)."""
    for s in series:
        xs, ys = _defined(s["x"], s["y"])
        (line,) = ax.plot(xs, ys, marker="o", markersize=3, label=s["label"])
        band = [(x, lo, hi) for x, lo, hi in zip(s["x"], s["low"], s["high"])
                if x is not None and lo is not None and hi is not None]
        if band:
            bx, lo, hi = zip(*band)
            ax.fill_between(bx, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)


def _series(ax, figure: dict[str, Any]) -> None:
    """A measure's series over its key: a line with its interval band over numbers (a log
    axis when they span a factor of 30 or more: tokens, doubling checkpoints), points with error bars over
    categories (conditions); then what the summary reads from it — marked points, level
    lines, and the threshold on the key axis (argmax, first_reaching)."""
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool)
                  for s in figure["series"] for x in s["x"])
    if numeric:
        _lines(ax, figure["series"])
        xs = [x for s in figure["series"] for x in s["x"]]
        if xs and min(xs) > 0 and max(xs) / min(xs) >= 30:
            ax.set_xscale("log")
    else:
        at, shifts = _points(ax, figure["series"])
        figure = {**figure, "marks": [{**m, "x": at.get(str(m["x"]), 0) + shifts[m.get("series", 0)]}
                                      for m in figure.get("marks", [])]}
    for line in figure.get("lines", []):   # in its series' colour (the default cycle, in order)
        ax.axhline(line["y"], color=f"C{line.get('series', 0)}", linestyle=":", linewidth=1.2,
                   label=line["label"])
    for mark in figure.get("marks", []):
        if mark.get("y") is not None:
            ax.plot([mark["x"]], [mark["y"]], marker="*", markersize=13, color="tab:red",
                    markeredgecolor="black", markeredgewidth=0.6, linestyle="none", label=mark["label"],
                    zorder=5)
    _expected(ax, figure.get("x_threshold"), figure.get("x_threshold_upper"), ax.axvline, ax.axvspan,
              f"{figure.get('x') or 'key'} ")


def _points(ax, series: list[dict]) -> tuple[dict[str, int], list[float]]:
    """Points with error bars over categories, the series side by side (shifted a little)
    on an axis fitted to the intervals, not forced to include 0. Returns each category's
    position and each series' shift."""
    categories = list(dict.fromkeys(str(x) for s in series for x in s["x"]))
    at = {c: i for i, c in enumerate(categories)}
    step = 0.15 if len(series) > 1 else 0.0
    shifts = [(k - (len(series) - 1) / 2) * step for k in range(len(series))]
    for s, shift in zip(series, shifts):
        pts = [(at[str(x)] + shift, y, lo, hi) for x, y, lo, hi in zip(s["x"], s["y"], s["low"], s["high"])
               if y is not None]
        if not pts:
            continue
        px, py, lo, hi = zip(*pts)
        err = [[_below(y, l) for y, l in zip(py, lo)], [_above(y, h) for y, h in zip(py, hi)]]
        ax.errorbar(px, py, yerr=err, fmt="o", capsize=3, markersize=5, label=s["label"])
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels([textwrap.fill(c, 28) for c in categories], rotation=30 if len(categories) > 4 else 0,
                       ha="right" if len(categories) > 4 else "center", fontsize="small")
    ax.set_xlim(-0.5, len(categories) - 0.5)   # a point at the axis' edge is half hidden
    return at, shifts


def _arms(fig, figure: dict[str, Any]):
    """A difference hypothesis: each arm's mean as a point with its interval; beside it, when
    the figure has one, the difference of the means with its interval, 0 and the expected
    threshold. Returns the arms' axes."""
    difference = figure.get("difference")
    if difference is None:
        ax = fig.add_subplot()
        _points(ax, figure["series"])
        return ax
    ax, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})
    _points(ax, figure["series"])
    y, low, high = difference["mean"], difference.get("ci_low"), difference.get("ci_high")
    right.errorbar([0], [y], yerr=[[_below(y, low)], [_above(y, high)]], fmt="D", color="C1",
                   capsize=4, markersize=5)
    right.axhline(0.0, color="0.2", linewidth=0.8)
    _expected(right, difference.get("threshold"), difference.get("threshold_upper"),
              right.axhline, right.axhspan, "")
    right.set_xticks([0])
    right.set_xticklabels([textwrap.fill(difference["label"], 22)], fontsize="x-small")
    right.set_xlim(-0.6, 0.6)
    right.set_xlabel(textwrap.fill(difference["interval"], 22), fontsize="small")
    right.set_ylabel("difference of the means")
    handles, labels = right.get_legend_handles_labels()
    if handles:
        right.legend(handles, labels, fontsize="x-small", frameon=False)
    return ax


def _expected(ax, low: float | None, upper: float | None, line, span, what: str) -> None:
    """The expect threshold: a dashed line, or for `between a and b` the shaded range with
    both bounds dashed (a single line at the lower bound read as `>= a`)."""
    if low is None:
        return
    if upper is None:
        line(low, color="0.3", linestyle="--", linewidth=1, label=f"threshold: {what}{low:g}")
        return
    span(low, upper, color="0.5", alpha=0.12, linewidth=0, label=f"expected: {what}between {low:g} and {upper:g}")
    for bound in (low, upper):
        line(bound, color="0.3", linestyle="--", linewidth=1)


def _scatter(ax, series: list[dict], fit: list[float] | None) -> None:
    """A correlation's joined keys, one point each (labelled when few), and the
    least-squares line."""
    for s in series:
        ax.scatter(s["x"], s["y"], s=14, label=s["label"])
        if len(s.get("keys") or ()) <= 15:
            for x, y, key in zip(s["x"], s["y"], s.get("keys") or ()):
                ax.annotate(str(key), (x, y), fontsize="x-small", xytext=(3, 3), textcoords="offset points")
    if fit is not None:
        xs = [x for s in series for x in s["x"]]
        lo, hi = min(xs), max(xs)
        ax.plot([lo, hi], [fit[0] * lo + fit[1], fit[0] * hi + fit[1]], color="0.3", linewidth=1,
                label=f"least squares: y = {fit[0]:.3g} x + {fit[1]:.3g}")


def _bars(ax, series: list[dict]) -> None:
    """Grouped bars: one group per category, one bar per series, error bars = interval."""
    categories = list(dict.fromkeys(x for s in series for x in s["x"]))
    width = 0.8 / max(len(series), 1)
    for k, s in enumerate(series):
        at = {x: i for i, x in enumerate(categories)}
        xs = [at[x] - 0.4 + width * (k + 0.5) for x in s["x"]]
        ys = [y if y is not None else 0.0 for y in s["y"]]
        err = [[_below(y, lo) for y, lo in zip(s["y"], s["low"])],
               [_above(y, hi) for y, hi in zip(s["y"], s["high"])]]
        ax.bar(xs, ys, width=width, yerr=err, capsize=3, label=s["label"])
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels([str(c) for c in categories], rotation=30 if len(categories) > 4 else 0,
                       ha="right" if len(categories) > 4 else "center", fontsize="small")


def _defined(xs, ys):
    # A condition without a value on the x axis (a missing checkpoint) cannot be placed.
    pairs = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]
    return ([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else ([], [])


def _below(y, low) -> float:
    return 0.0 if y is None or low is None else max(y - low, 0.0)


def _above(y, high) -> float:
    return 0.0 if y is None or high is None else max(high - y, 0.0)
