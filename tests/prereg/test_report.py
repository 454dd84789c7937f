"""`write_preregistration`: freezes (or amends) the lock, then renders the report."""
import pytest
from lock_helpers import COMMIT, LATER, NOW, compiled

from specc.prereg.lock import LockExists, read_lock
from specc.prereg.report import write_preregistration


def test_writes_report_under_repository_reports(tmp_path):
    (tmp_path / ".git").mkdir()   # the repository root
    (tmp_path / "specs").mkdir()
    plan = compiled(tmp_path / "specs")
    report, lock = write_preregistration(plan, plan.path, now=NOW, commit=COMMIT)
    assert report == tmp_path / "reports" / "lock-test" / "preregistration.md"
    assert lock.path == tmp_path / "specs" / "lock-test.lock.json"
    text = report.read_text()
    assert lock.hash in text and "2025-01-02T03:04:05Z" in text and COMMIT in text
    assert "`specs/lock-test.lock.json`" in text and "`specs/spec.yaml`" in text
    assert "supported when the 95% BCa interval over condition lies wholly above 0.5" in text
    assert "| x | 1, 2 |" in text and "2 conditions." in text


def test_refuses_a_changed_spec_without_a_reason_then_amends(tmp_path):
    plan = compiled(tmp_path)
    write_preregistration(plan, plan.path, out_dir=tmp_path / "out", now=NOW, commit=COMMIT)
    edited = compiled(tmp_path, ('expect: "> 0.5"', 'expect: "> 0.6"'))
    with pytest.raises(LockExists, match="hypotheses.H1.expect"):
        write_preregistration(edited, edited.path, out_dir=tmp_path / "out", now=LATER, commit=COMMIT)
    report, lock = write_preregistration(edited, edited.path, out_dir=tmp_path / "out",
                                         amend_reason="threshold | was a typo", now=LATER, commit=COMMIT)
    assert read_lock(edited.path) == lock and len(lock.amendments) == 1
    text = report.read_text()
    assert "| 1 | 2025-02-03T04:05:06Z | threshold \\| was a typo | `hypotheses.H1.expect` |" in text
    assert "Frozen at (UTC) | 2025-01-02T03:04:05Z" in text


def test_user_strings_are_escaped_in_tables(tmp_path):
    plan = compiled(tmp_path, ("Values are positive.", "Values | are\n      positive."))
    report, _ = write_preregistration(plan, plan.path, out_dir=tmp_path, now=NOW, commit=COMMIT)
    row = next(line for line in report.read_text().splitlines() if line.startswith("| H1 |"))
    assert "Values \\| are positive." in row
    assert row.replace("\\|", "").count("|") == 7  # six columns


def test_gates_appear_as_stopping_rules(tmp_path):
    plan = compiled(tmp_path, ("    value: 3\n", "    value: 3\n    when: H1 is not supported\n"),
                    ("mean(other.value)", "mean(values.value)"))
    report, _ = write_preregistration(plan, plan.path, out_dir=tmp_path, now=NOW, commit=COMMIT)
    text = report.read_text()
    assert "- Stage `other` runs only when H1 is not supported; otherwise it is skipped (1 task, est. 0 GPU-h)." in text
