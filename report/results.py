"""results.json <-> results.md: store a run's results, render them, re-render them later.

`specc run` writes `.specc/runs/<run id>/results.json` (format 1, see the issue's
INTERFACES) and renders it; `specc report RUN` renders the same file again,
recomputing nothing, so the Markdown of a run can be regenerated (after a
template fix, say) and comes out byte-identical when nothing changed.

Rendering is split in two: `_view` turns the stored dict into what the template
shows (verdict glyphs, JSON of deviations, figure paths), the template
(`templates/results.md.j2`) lays it out.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from specc.templates.render import render

from .figures import draw
from .training_curves import draw_training_curves, training_view

RESULTS_FORMAT = 1
TEMPLATE = "results.md.j2"
FIGURES = "figures"
GLYPHS = {"supported": "✅", "refuted": "❌", "inconclusive": "⚠️", "not tested": "⏭️"}
INTERVAL_METHODS = {"bca": "BCa bootstrap", "percentile": "percentile bootstrap",
                    "basic": "basic bootstrap", "fisher_z": "Fisher z"}


class ReportError(Exception):
    """A run's results cannot be found or read; the message says which and why."""


# -- storage ------------------------------------------------------------------------

def write_results_json(results: dict[str, Any], path: str | Path) -> Path:
    """Write atomically (a reader never sees half a file); NaN and infinities, which JSON
    cannot spell, are stored as null."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_finite(results), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not a results file ({exc})") from None
    if not isinstance(results, dict) or results.get("format") != RESULTS_FORMAT:
        found = results.get("format") if isinstance(results, dict) else type(results).__name__
        raise ReportError(f"{path}: results format {found!r}; this specc reads format {RESULTS_FORMAT}")
    return results


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# -- rendering ----------------------------------------------------------------------

def render_results(results: dict[str, Any], out_dir: str | Path) -> Path:
    """Draw `out_dir/figures/<hid>.png` and write `out_dir/results.md`; returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures_dir = out_dir / FIGURES
    drawn = set()
    for hid, figure in (results.get("figures") or {}).items():
        if figure and figure.get("series"):
            draw(figure, figures_dir / f"{hid}.png")
            drawn.add(hid)
    # A figure left from an earlier render of another run would be shown by no report
    # but read as current by anyone browsing the folder.
    if figures_dir.is_dir():
        for stale in figures_dir.glob("*.png"):
            if stale.stem not in drawn:
                stale.unlink()
    curves = draw_training_curves(results.get("training_curves") or {}, figures_dir)
    path = out_dir / "results.md"
    path.write_text(results_markdown(results, drawn, curves), encoding="utf-8")
    return path


def results_markdown(results: dict[str, Any], drawn: set[str] | None = None,
                     curves: dict[str, str] | None = None) -> str:
    """The Markdown of `results`; `drawn`: the hypotheses whose figure exists (default: all
    with a figure in `results`); `curves`: the training-curve figures drawn, by stage."""
    if drawn is None:
        drawn = {h for h, f in (results.get("figures") or {}).items() if f and f.get("series")}
    training = training_view(results.get("training_curves") or {}, curves or {})
    return render(TEMPLATE, **_view(results, drawn), training_curves=training).rstrip("\n") + "\n"


def report_run(run_id_prefix: str, repo_root: str | Path) -> Path:
    """Re-render the stored results of a run (id or unique prefix) into
    `<repo root>/reports/<spec name>/`; returns the path of results.md."""
    runs = Path(repo_root) / ".specc" / "runs"
    pattern = f"{_glob_safe(run_id_prefix)}*/results.json"
    found = sorted(runs.glob(pattern)) if runs.is_dir() else []
    if not found:
        raise ReportError(f"no stored results for run {run_id_prefix!r} under {runs}")
    if len(found) > 1:
        names = ", ".join(p.parent.name for p in found[:5]) + (" ..." if len(found) > 5 else "")
        raise ReportError(f"run {run_id_prefix!r} is ambiguous: {names}; give more of its id")
    results = load_results(found[0])
    lock = (results.get("lock") or {}).get("path")
    if lock and Path(lock).is_file():  # the lock the run was judged against: still intact?
        from specc.prereg.lock import read_lock
        read_lock(Path(lock))          # LockTampered when edited by hand since
    return render_results(results, Path(repo_root) / "reports" / results["spec"]["name"])


def _glob_safe(prefix: str) -> str:
    """A run id prefix as a literal glob pattern (ids never hold these, user input might)."""
    if not prefix or any(c in prefix for c in "*?[]/\\") or prefix in (".", ".."):
        raise ReportError(f"{prefix!r} is not a run id")
    return prefix


def _view(results: dict[str, Any], drawn: set[str]) -> dict[str, Any]:
    hypotheses = [_hypothesis_view(h, results, drawn) for h in results.get("hypotheses", [])]
    return {
        "spec": results["spec"], "run": results["run"], "decision": results.get("decision") or {},
        "counts": sorted((results["run"].get("counts") or {}).items()),
        "hypotheses": hypotheses,
        "confirmatory": [h for h in hypotheses if h["kind"] != "exploratory"],
        "exploratory": [h for h in hypotheses if h["kind"] == "exploratory"],
        "skipped": [s for s in results.get("stages", [])
                    if s.get("skipped_because") or (s.get("counts") or {}).get("skipped")],
        "lock": results.get("lock"),
        "deviations": [{**d, "locked_json": _json(d.get("locked")), "now_json": _json(d.get("now"))}
                       for d in results.get("deviations", [])],
        "cost": results.get("cost"),
        "provenance": results.get("provenance"),
        "injection": results.get("injection") or [],
    }


def _hypothesis_view(h: dict[str, Any], results: dict[str, Any], drawn: set[str]) -> dict[str, Any]:
    interval, test = h.get("interval"), h.get("test")
    table = (results.get("condition_tables") or {}).get(h["id"])
    return {
        **h, "glyph": GLYPHS.get(h["status"], "?"),
        "interval_method": INTERVAL_METHODS.get(interval["method"], interval["method"]) if interval else None,
        "p_shown": None if not test else (test["p_adjusted"] if test.get("p_adjusted") is not None
                                          else test["p"]),
        "table": table, "table_axes": list(table["by"]) if table else [],
        "design": (results.get("design") or {}).get(h["id"]),
        "figure": f"{FIGURES}/{h['id']}.png" if h["id"] in drawn else None,
        "figure_alt": _figure_alt(h["id"], (results.get("figures") or {}).get(h["id"])),
    }


def _figure_alt(hid: str, figure: dict[str, Any] | None) -> str | None:
    if not figure:
        return None
    if figure.get("kind") == "scatter":
        label = (figure.get("series") or [{}])[0].get("label", "")
        return f"{hid}: {figure.get('ylabel')} against {figure.get('x')}, {label}, with the least-squares line"
    if figure.get("kind") == "series":
        marked = "; ".join(m["label"] for m in (figure.get("marks") or []) + (figure.get("lines") or []))
        shown = ", ".join(s["label"] for s in figure.get("series") or [])
        return f"{hid}: {shown}" + (f" ({marked})" if marked else "")
    if figure.get("kind") == "arms":
        arms = " and ".join(str(x) for s in figure.get("series") or [] for x in s["x"])
        difference = figure.get("difference")
        return (f"{hid}: each arm's mean with its interval ({arms})"
                + (f", and their difference ({difference['interval']})" if difference else ""))
    return f"{hid}: {figure.get('ylabel') or 'the measure'} by {figure.get('x') or 'condition'}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
