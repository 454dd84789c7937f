"""The flagship's smoke profile runs end to end and its report has what a reader needs."""
import pytest

from .smoke_run import assert_smoke_report, run_smoke


@pytest.mark.e2e
def test_smoke_profile_runs_and_reports(tmp_path):
    run = run_smoke("blimp-dynamics", tmp_path)
    assert_smoke_report(run)
