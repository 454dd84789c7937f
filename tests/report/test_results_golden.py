"""Golden file: a fixed results.json renders to exactly golden/results.md.

The fixture covers every verdict (supported, refuted, inconclusive, not tested), a
deviation from the lock with an amendment, a skipped stage, an exploratory
hypothesis, user strings with `|`. After an intended change to the report, regenerate:

    SPECC_UPDATE_GOLDEN=1 python -m pytest tests/report/test_results_golden.py
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from specc.report.results import load_results, render_results

GOLDEN = Path(__file__).parent / "golden"


def test_results_markdown_matches_the_golden_file(tmp_path):
    results = load_results(GOLDEN / "results_input.json")
    text = render_results(results, tmp_path).read_text(encoding="utf-8")
    expected_path = GOLDEN / "results.md"
    if os.environ.get("SPECC_UPDATE_GOLDEN") == "1":
        expected_path.write_text(text, encoding="utf-8")
        pytest.skip("golden file regenerated")
    expected = expected_path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True),
                                            text.splitlines(keepends=True), "golden/results.md", "rendered"))
        pytest.fail(f"results.md differs from the golden file (SPECC_UPDATE_GOLDEN=1 to accept):\n{diff}")


def test_golden_report_shows_the_verdict_table_first():
    text = (GOLDEN / "results.md").read_text(encoding="utf-8")
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[0] == "## Verdicts"
    assert sections[1:] == ["## Hypotheses", "## Skipped work", "## Deviations from the pre-registration",
                            "## Exploratory results", "## Cost", "## Provenance"]
    for glyph in ("✅", "❌", "⚠️", "⏭️"):
        assert f"| {glyph} |" in text
    assert "![H1: mean score.correct by checkpoint](figures/H1.png)" in text
    # a series summary: the curve with what the summary reads (first_reaching; a nested ratio)
    assert "(first to reach the level: tokens = 2000; level 0.5)](figures/H6.png)" in text
    assert "| condition | mean(post.alignment by seed) | std(post.alignment by seed) |" in text
