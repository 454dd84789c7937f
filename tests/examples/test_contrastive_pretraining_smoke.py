"""The contrastive-pretraining smoke profile runs end to end: the size ladder x rate grid, the
regulariser control and the width sweep train; both audits (generated format, constrained to
the answer tokens) score the same items; every hypothesis is decided from real numbers; the
report shows the realised injection and the figures the hypotheses need."""
import json

import pytest

from .smoke_run import assert_smoke_report, run_smoke


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_smoke("contrastive-pretraining", tmp_path_factory.mktemp("contrastive"))


@pytest.mark.e2e
def test_smoke_profile_runs_and_reports(run):
    # H8 (the cross-transfer onset) is gated on H1: toy models trained 150 steps never show
    # H1's effect, so the gate closes and H8 is "not tested", with the gate as its reason.
    assert_smoke_report(run, gated=("H8",))
    ids = {h["id"] for h in run.results["hypotheses"]}
    assert ids == {f"H{i}" for i in range(1, 12)}


@pytest.mark.e2e
def test_every_stage_of_the_study_ran(run):
    stages = {s["name"]: s for s in run.results["stages"]}
    # the ladder x rate grid (4 sizes x 4 rates), the control (4 sizes), the sweep (4 widths x 2)
    assert sum(stages["pretrain"]["counts"].values()) == 16
    assert sum(stages["georeg"]["counts"].values()) == 4
    assert sum(stages["xfer"]["counts"].values()) == 8
    for name in ("bias_gen", "bias_fmt", "bias_mc", "syc_gen", "syc_fmt", "syc_mc", "ppl",
                 "geo_gen", "geo_fmt", "xfer_gen", "xfer_fmt"):
        assert name in stages, name


@pytest.mark.e2e
def test_the_realised_injection_is_reported_per_rate(run):
    # Documents are the study's unit: each rate's realised document share is the declared one
    # (two behaviours, half each); results.md states the token share beside it.
    rows = [r for r in run.results["injection"] if r["stage"] == "pretrain"]
    assert sorted(r["declared"] for r in rows) == pytest.approx([0.03, 0.05, 0.1])
    for r in rows:
        assert r["mode"] == "insert_documents" and r["unit"] == "documents"
        low, high = r["realised"]["documents"]
        assert abs(low - r["declared"]) < 0.01 and abs(high - r["declared"]) < 0.01
        assert r["realised"]["tokens"][0] > 0
    assert "**Injection (realised):** pretrain: declared 3" in run.report


@pytest.mark.e2e
def test_the_regulariser_control_trained_with_its_penalty(run):
    manifests = [json.loads(p.read_text()) for p in (run.repo / ".specc" / "store").rglob("manifest.json")]
    control = [m["facts"] for m in manifests if m.get("stage") == "georeg"]
    assert len(control) == 4
    assert control and all(f["regulariser"] == {"kind": "isotropy", "weight": 0.1} for f in control)
    assert all(f["inject_mode"] is None for f in control)


@pytest.mark.e2e
def test_hypotheses_read_the_axes_they_claim_about(run):
    by_id = {h["id"]: h for h in run.results["hypotheses"]}
    assert by_id["H2"]["estimate"] in (0.0, 0.03, 0.05, 0.1)          # an argmax over the rates
    for hid in ("H6", "H7"):            # log-perplexity differences (nats), largest and smallest
        assert -1.0 < by_id[hid]["estimate"] < 1.0
    assert by_id["H6"]["estimate"] >= by_id["H7"]["estimate"]
    # every confirmatory hypothesis stays confirmatory: the smoke changes the design, never a
    # hypothesis (its deviations are stage params, data and models)
    assert all(by_id[f"H{i}"]["kind"] == "confirmatory" for i in range(1, 10))
    for fig in ("H1", "H2", "H4", "H6", "H9"):
        assert f"figures/{fig}.png" in run.report
