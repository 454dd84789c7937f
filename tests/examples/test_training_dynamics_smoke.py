"""The flagship (study 4, binomial ordering preferences) runs its smoke profile end to end:
a tiny OPT trained on Shakespeare, BLiMP pairs scored at 4 checkpoints as the stand-in for
the binomials, the frequency stage counted in the training corpus, and a report with the
figure each hypothesis needs."""
import pytest

from .smoke_run import assert_smoke_report, run_smoke


@pytest.mark.e2e
def test_smoke_profile_runs_and_reports(tmp_path):
    run = run_smoke("training-dynamics", tmp_path)
    assert_smoke_report(run)
    stages = {s["name"]: s for s in run.results["stages"]}
    assert set(stages) == {"tokenizer", "freq", "pretrain", "score"}
    assert stages["score"]["tasks"] == 4          # one task per checkpoint (every 10 steps)
    hypotheses = {h["id"]: h for h in run.results["hypotheses"]}
    assert list(hypotheses) == ["H1", "H2", "H3", "H4", "H5", "H6"]
    assert all(h["kind"] == "exploratory" for h in hypotheses.values())   # overridden in smoke: demoted
    for hid in ("H3", "H4"):                                                 # correlations: a scatter
        assert f"![{hid}: humans.total_mean against score.diff" in run.report
    assert "![H1: min(pearson(" in run.report and "per regime) per model (smallest:" in run.report
    assert "![H2: max(abs(pearson(" in run.report                           # every run: the worst one
    checkpoints = {10, 20, 30, 40}                                           # steps of the smoke run
    assert hypotheses["H5"]["estimate"] in checkpoints                       # argmax: a checkpoint
    assert hypotheses["H6"]["estimate"] in checkpoints                       # first reaching r = 0.5
    names = {p.name for p in run.figures()}
    assert {f"H{i}.png" for i in range(1, 7)} | {"pretrain.png"} <= names
    assert "**Joined on `UID`**" in run.report                    # the paradigm table under each correlation
    assert "## Training curves" in run.report and "regime=c4" in run.report
    assert "## Deviations from the pre-registration" in run.report
