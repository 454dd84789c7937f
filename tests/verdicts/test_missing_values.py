"""Empty values in a measured column are an error naming the file, the column and the rows,
unless the hypothesis declares `missing: drop`, which is counted in both reports."""
from pathlib import Path

from specc.compiler import compile_spec
from specc.runtime.tables import MeasureTables
from specc.verdicts import judge

SPEC = """\
specc: 1
name: missing
title: Missing values
question: Are empty cells noticed?
data:
  humans: {csv: humans.csv}
stages:
  values: {op: tiny.value, value: 1}
hypotheses:
  H1:
    statement: Ratings are high.
    measure: mean(humans.rating)
    expect: "> 0.5"
    interval: {method: none}
    test: {method: t}
    kind: exploratory
"""
CSV = "item,rating\n1,0.9\n2,\n3,0.8\n4,0.7\n5,NaN\n6,0.95\n7,0.85\n8,0.9\n9,0.75\n"


def verdict(tmp_path: Path, spec: str):
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "humans.csv").write_text(CSV)
    (tmp_path / "spec.yaml").write_text(spec)
    plan = compile_spec(tmp_path / "spec.yaml")
    return plan, judge(plan, MeasureTables(plan, None, set()), ["H1"])["H1"]


def test_empty_cells_are_an_error_naming_file_column_and_rows(tmp_path):
    _, result = verdict(tmp_path, SPEC)
    assert result.status == "inconclusive" and result.estimate is None
    assert result.reason == (f"cannot compute the measure: humans.rating: 2 empty or non-numeric values in "
                             f"{tmp_path / 'humans.csv'}, lines 3, 6; fix the data, or declare `missing: drop` "
                             "on the hypothesis to leave such rows out (counted in both reports)")


def test_a_declared_drop_is_counted_in_both_reports(tmp_path):
    from specc.prereg.report import write_preregistration
    from specc.templates.render import render
    plan, result = verdict(tmp_path, SPEC + "    missing: drop\n")
    assert result.missing_dropped == {"humans.rating": 2}
    assert abs(result.estimate - (0.9 + 0.8 + 0.7 + 0.95 + 0.85 + 0.9 + 0.75) / 7) < 1e-12
    report, _ = write_preregistration(plan, tmp_path / "spec.yaml", commit="0" * 40, dirty=False)
    assert "- **Missing values:** rows with an empty or non-numeric value" in report.read_text()
    import json
    from specc.report.results import load_results, results_markdown
    golden = Path(__file__).parents[1] / "report" / "golden" / "results_input.json"
    results = load_results(golden)
    first = results["hypotheses"][0]
    first["missing_dropped"] = result.missing_dropped
    shown = results_markdown(results, set())
    assert "- **Missing values:** dropped, as pre-registered: 2 rows of `humans.rating`" in shown
