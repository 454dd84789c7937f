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
    assert [h["id"] for h in run.results["hypotheses"]] == ["H1", "H2", "H3", "H4"]
    for h in run.results["hypotheses"]:                           # overridden in smoke: demoted, stated
        assert h["kind"] == "exploratory"
        assert f"![{h['id']}: humans.total_mean against score.diff" in run.report
    names = {p.name for p in run.figures()}
    assert {"H1.png", "H2.png", "H3.png", "H4.png", "pretrain.png"} <= names
    assert "**Joined on `UID`**" in run.report                    # the paradigm table under each correlation
    assert "## Training curves" in run.report and "regime=c4" in run.report
    assert "## Deviations from the pre-registration" in run.report
