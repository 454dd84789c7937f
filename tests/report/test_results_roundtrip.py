"""`specc report RUN`: results stored as JSON and rendered again give the same report."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from specc.report.results import (
    ReportError,
    load_results,
    render_results,
    report_run,
    write_results_json,
)

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def results():
    return json.loads((GOLDEN / "results_input.json").read_text(encoding="utf-8"))


def test_write_load_render_gives_identical_markdown(results, tmp_path):
    first = render_results(results, tmp_path / "first").read_text(encoding="utf-8")
    stored = write_results_json(results, tmp_path / "run" / "results.json")
    again = render_results(load_results(stored), tmp_path / "again").read_text(encoding="utf-8")
    assert again == first
    assert sorted(p.name for p in (tmp_path / "again" / "figures").iterdir()) == ["H1.png", "H2.png", "H3.png",
                                                                                   "H6.png", "H7.png"]


def test_non_finite_numbers_are_stored_as_null(results, tmp_path):
    results["hypotheses"][0]["estimate"] = math.nan
    results["cost"]["spent_gpu_hours"] = math.inf
    loaded = load_results(write_results_json(results, tmp_path / "results.json"))
    assert loaded["hypotheses"][0]["estimate"] is None and loaded["cost"]["spent_gpu_hours"] is None


def test_report_run_rerenders_by_id_prefix(results, tmp_path):
    run_dir = tmp_path / ".specc" / "runs" / results["run"]["id"]
    write_results_json(results, run_dir / "results.json")
    stale = tmp_path / "reports" / "golden-demo" / "figures" / "H9.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    path = report_run(results["run"]["id"][:10], tmp_path)
    assert path == tmp_path / "reports" / "golden-demo" / "results.md"
    assert path.read_text(encoding="utf-8") == (GOLDEN / "results.md").read_text(encoding="utf-8")
    assert not stale.exists()  # a figure no hypothesis of this run has is not left behind


def test_report_run_errors(results, tmp_path):
    with pytest.raises(ReportError, match="no stored results"):
        report_run("2025", tmp_path)
    for suffix in ("a", "b"):
        write_results_json(results, tmp_path / ".specc" / "runs" / f"2025-{suffix}" / "results.json")
    with pytest.raises(ReportError, match="ambiguous"):
        report_run("2025", tmp_path)
    with pytest.raises(ReportError, match="not a run id"):
        report_run("../x", tmp_path)
    (tmp_path / "bad.json").write_text('{"format": 2}')
    with pytest.raises(ReportError, match="format 2"):
        load_results(tmp_path / "bad.json")
