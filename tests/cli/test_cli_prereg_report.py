"""`specc prereg`, `specc run`'s results report and `specc report`, as a user types them:
freeze, edit a threshold (refused, then a deviation in the report), amend, re-render."""
from __future__ import annotations

import re

import pytest

from test_cli_run import specc

SPEC = """\
specc: 1
name: cli-prereg
title: CLI pre-registration
question: Are the values large?
conditions:
  x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
stages:
  values: {op: tiny.value, over: [x], value: "${x}"}
  followup: {op: tiny.sum, of: values, when: H1 is supported}
  rescue: {op: tiny.sum, of: values, when: H1 is not supported}
hypotheses:
  H1:
    statement: The values are above 2 on average.
    measure: mean(values.value)
    expect: "> 2"
    interval: {method: percentile, unit: x, n_resamples: 1000}
"""


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "spec.yaml").write_text(SPEC)
    return tmp_path


@pytest.mark.slow
def test_prereg_run_report(repo):
    frozen = specc(repo, "prereg", "spec.yaml")
    assert frozen.returncode == 0, frozen.stderr
    lock = repo / "cli-prereg.lock.json"
    assert lock.exists() and (repo / "reports/cli-prereg/preregistration.md").exists()
    assert "lies wholly above 2" in (repo / "reports/cli-prereg/preregistration.md").read_text()

    # A changed threshold is never frozen over the lock silently.
    (repo / "spec.yaml").write_text(SPEC.replace('"> 2"', '"> 1"'))
    refused = specc(repo, "prereg", "spec.yaml")
    assert refused.returncode == 1
    assert "cli-prereg.lock.json" in refused.stderr and "hypotheses.H1.expect" in refused.stderr

    # Running anyway: the verdict is given, but as exploratory, and the deviation is reported.
    ran = specc(repo, "run", "spec.yaml")
    assert ran.returncode == 0, ran.stderr
    assert "H1 (exploratory): supported" in ran.stdout
    report = repo / "reports/cli-prereg/results.md"
    text = report.read_text()
    assert "| `hypotheses.H1.expect` |" in text and "H1 reported as exploratory" in text
    assert "**rescue**" in text and 'closed: H1 is supported' in text   # the gate skipped it

    # `specc report` re-renders the same Markdown from the stored results.
    run_id = re.search(r"run (\d{8}-\d{6}-\w+)", ran.stdout).group(1)
    report.unlink()
    again = specc(repo, "report", run_id[:15])
    assert again.returncode == 0, again.stderr
    assert report.read_text() == text

    # Amending the lock (with a reason) makes the run confirmatory again.
    assert specc(repo, "prereg", "spec.yaml", "--amend").returncode == 2      # no reason
    amended = specc(repo, "prereg", "spec.yaml", "--amend", "--reason", "threshold typo")
    assert amended.returncode == 0, amended.stderr
    rerun = specc(repo, "run", "spec.yaml")
    assert "H1: supported" in rerun.stdout and "nothing to run" in rerun.stdout
    assert "threshold typo" in (repo / "reports/cli-prereg/preregistration.md").read_text()
    assert "H1 reported as exploratory" not in report.read_text()
