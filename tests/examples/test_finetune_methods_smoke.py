"""End to end: the smoke profile of specs/finetune-methods.yaml (study 5) on a CPU."""
from __future__ import annotations

import pytest

from .smoke_run import assert_smoke_report, run_smoke

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_smoke("finetune-methods", tmp_path_factory.mktemp("finetune"))


def test_every_task_succeeds_and_every_hypothesis_is_decided(run):
    assert_smoke_report(run)
    assert {h["id"] for h in run.results["hypotheses"]} == {f"H{i}" for i in range(1, 11)}


def test_the_study_s_stages_all_ran(run):
    ran = {s["stage"] if "stage" in s else s["name"] for s in run.results["stages"]}
    assert {"sft_size", "sft_lr", "sft_noreplay", "sft_frozen", "sft_apollo", "harmful_sft", "dpo",
            "onpolicy_answers", "dpo_onpolicy", "orpo", "harmful_answers", "safety", "pref_ckpt", "attention"} <= ran


def test_the_report_shows_the_confirmatory_claims_with_their_thresholds(run):
    report = run.report
    for expect in ("> 0.25", "< 0.02", ">= -0.02", "between -0.02 and 0.02"):
        assert expect in report, expect
    assert "preregistration" in report.lower() or "deviation" in report.lower()
    assert len(run.figures()) >= 3
