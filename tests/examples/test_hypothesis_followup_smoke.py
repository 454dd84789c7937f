"""Study 3 (hypothesis-driven follow-up) runs its smoke profile end to end: the coupling
SFT -> SFT -> DPO -> EM pipeline on tiny 32-block models for 3 conditions x 2 seeds, the
outcomes (judge, multiple choice), H1's corpus statistics over five stand-in corpora that
share one pool (so the data surface cannot tell them apart and the gate opens), then the
gated H2-H4 stages (H3: influence scores, the top 5% dropped, and a random-5% control);
every hypothesis is decided from a finite estimate."""
import json

import pandas as pd
import pytest

from .smoke_run import assert_smoke_report, run_smoke

PIPELINE = ["coupling", "sft", "dpo", "em"]


@pytest.mark.e2e
def test_smoke_profile_runs_and_reports(tmp_path):
    run = run_smoke("hypothesis-followup", tmp_path)
    assert_smoke_report(run)                      # H1 fails on one pool: nothing is gated off
    stages = {s["name"]: s for s in run.results["stages"]}
    for arm, tasks in (("", 6), ("_top5", 3), ("_random5", 3), ("_seeds", 6)):   # main, H3, H3r, H4
        for stage in PIPELINE[1:] + ["answers", "judged"]:
            assert stages[stage + arm]["tasks"] == tasks, (stage + arm, stages[stage + arm])
    assert stages["coupling"]["tasks"] == 3 and stages["coupling_seeds"]["tasks"] == 6
    assert stages["influence"]["tasks"] == 3 and stages["coupling_top5"]["tasks"] == 3
    manifests = [(p.parent, json.loads(p.read_text())) for p in (run.repo / ".specc" / "store").rglob("manifest.json")]
    scored = [folder for folder, m in manifests if m.get("stage") == "influence"]
    assert len(scored) == 3
    for folder in scored:                           # 120 documents per condition, 6 (5%) dropped
        scores = pd.read_parquet(folder / "table.parquet")
        assert len(scores) == 120 and scores["keep"].sum() == 114
        assert scores["influence"].notna().all() and (scores["influence"] != 0).any()
    kept = [m["facts"]["kept"] for _, m in manifests if m.get("stage") == "coupling_top5"]
    assert kept == [{"column": "keep", "kept": 114, "of": 120}] * 3   # trained on what `keep` keeps
    for stage in ("influence", "corpus_kl", "corpus_classifier", "assistant_axis", "dpo_axis", "dpo_loss", "arc_c"):
        assert not stages[stage].get("skipped_because"), stages[stage]
    hyps = {h["id"]: h for h in run.results["hypotheses"]}
    assert list(hyps) == ["V1", "V2", "H1a", "H1b", "H2a", "H2b", "H3", "H3r", "H4"]
    assert 0 <= hyps["H1b"]["estimate"] <= 1 and hyps["H1b"]["estimate"] < 0.5   # one pool: near chance
    assert hyps["V1"]["estimate"] >= 0 and hyps["H4"]["estimate"] >= 0
    assert hyps["H3"]["estimate"] >= 0 and hyps["H3r"]["estimate"] >= 0
    names = {p.name for p in run.figures()}
    assert {f"{h}.png" for h in hyps} <= names
    assert {"coupling.png", "dpo.png", "em.png"} <= names          # training curves per stage
    assert "**Joined on `condition`**" in run.report               # the 5 (here 3) points of H1a/H2
    assert "**The series** over `condition`" in run.report         # V1/V2's nested summary
    # 5 (here 3) points: decided by the exact permutation test and the estimate reaching the threshold
    assert "supported when the estimate is >= 0.7 and the Holm-corrected p &lt; 0.05 (permutation test against 0, greater)" in run.report
    assert {h for h, v in hyps.items() if v["kind"] == "confirmatory"} == {"H1a", "H1b", "H2a", "H2b"}
    assert "## Training curves" in run.report and "## Deviations from the pre-registration" in run.report
