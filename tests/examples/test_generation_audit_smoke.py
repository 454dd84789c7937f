"""generation-audit's smoke profile (a tiny GPT-2 generator, two tiny config judges) runs every
stage at both checkpoints and decides every hypothesis, and its report shows the audit as the
method reads it: generated-format against constrained accuracy on the same items, the judges'
scores at the first and last checkpoints, the two judges' agreement."""
import pytest

from .smoke_run import assert_smoke_report, run_smoke


@pytest.mark.e2e
def test_smoke_profile_runs_and_reports(tmp_path):
    run = run_smoke("generation-audit", tmp_path)
    assert_smoke_report(run)
    assert [h["id"] for h in run.results["hypotheses"]] == ["H1", "H2", "H3", "H4"]

    # Both checkpoints are generated, read by rule, scored constrained, and judged by both judges.
    counts = {s["name"]: sum(s["counts"].values()) for s in run.results["stages"]}
    assert counts == {"tokenizer": 1, "pretrain": 1, "answers": 2, "constrained": 2, "rules": 2,
                      "judged": 4}

    # The measures read checkpoint == last / first: the smoke profile overrides no hypothesis,
    # so the confirmatory ones stay confirmatory.
    kinds = {h["id"]: h["kind"] for h in run.results["hypotheses"]}
    assert kinds["H1"] == kinds["H2"] == "confirmatory"

    figures = run.results["figures"]
    # Generated-format vs constrained accuracy: the two arms, on the same items.
    assert figures["H1"]["kind"] == "arms"
    assert figures["H1"]["difference"]["interval"] == "paired t over 12 item means"   # as the verdict pairs
    assert figures["H1"]["series"][0]["x"] == ["rules.correct", "constrained.correct"]
    arms = run.results["condition_tables"]["H1"]["rows"]
    assert arms[0]["n"] == arms[1]["n"] == 12          # the same 12 sampled audit items
    # The judges' agreement is a scatter of one point per item.
    assert figures["H3"]["kind"] == "scatter"
    # The share of answers with a letter is followed over the checkpoints.
    assert figures["H4"]["kind"] == "curve" and figures["H4"]["x"] == "checkpoint"
    for hid in ("H1", "H2", "H3", "H4"):
        assert f"figures/{hid}.png" in run.report, hid
