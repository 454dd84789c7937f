"""Study 2's smoke profile (a tiny from-scratch PT model and its SFT'd "IT" counterpart standing
in for the six hub families) runs every stage and decides every hypothesis, and its report
shows each measure the way the study reads it: per-layer KL curves of the two variants, the
steering sweep over alpha, the graft and instruction-check arms."""
import pytest

from .smoke_run import assert_smoke_report, run_smoke

HYPOTHESES = [f"H{i}" for i in range(1, 14)]


@pytest.mark.e2e
def test_smoke_profile_runs_and_reports(tmp_path):
    run = run_smoke("pretrained-vs-tuned", tmp_path)
    assert_smoke_report(run)
    assert [h["id"] for h in run.results["hypotheses"]] == HYPOTHESES

    # The same analysis stages as the full profile, plus the two that make the stand-in pair.
    ran = {s["name"] for s in run.results["stages"]}
    assert {"lens", "lens_tuned", "direction", "steer", "graft", "answers", "instructions",
            "judged", "answers_pt", "instructions_pt", "tiny_pt", "tiny_it"} <= ran

    figures = run.results["figures"]
    # The convergence gap in every family: the per-family gap as a series over families (the
    # smallest one marked), under both lenses; pooled, one KL curve over layers per variant.
    for hid in ("H1", "H2"):
        assert figures[hid]["kind"] == "series" and figures[hid]["x"] == "family", hid
        assert figures[hid]["series"][0]["x"] == ["tiny"]
    assert figures["H12"]["kind"] == "layers"
    assert [s["label"] for s in figures["H12"]["series"]] == ['variant == "it"', 'variant == "pt"']
    assert figures["H12"]["series"][0]["x"] == list(range(8))      # all 8 blocks of the stand-in
    # The steering sweep is a curve over alpha; the commitment layer and the steering arms are points (arms).
    assert figures["H7"]["kind"] == "curve" and figures["H7"]["x"] == "alpha"
    assert figures["H7"]["series"][0]["x"] == [0.0, 1.0, 2.0]
    assert figures["H3"]["kind"] == "arms"
    assert figures["H6"]["series"][0]["x"] == ["alpha == 1.0", "alpha == 0.0"]
    # A graft's share of the gap closed sets the grafted late-region KL against the baseline.
    for hid in ("H4", "H5"):
        assert figures[hid]["series"][0]["x"] == ["n_layers > 0", "n_layers == 0"], hid
    # Residual-stream geometry: the PT/IT separation along d, per layer.
    assert figures["H10"]["kind"] == "layers"
    for hid in HYPOTHESES:
        assert f"figures/{hid}.png" in run.report, hid

    # Every hypothesis has its condition table: the per-family series, the lens's two arms.
    tables = run.results["condition_tables"]
    assert set(HYPOTHESES) <= set(tables)
    assert tables["H1"]["kind"] == "series" and tables["H1"]["key"] == "family"
    assert [r["arm"] for r in tables["H12"]["rows"]] == ['lens.kl where variant == "it"',
                                                         'lens.kl where variant == "pt"']

    # The behavioural arm: the IT model generated under each steering strength, and both the
    # rule checks and the judge read every answer.
    counts = {s["name"]: s["counts"] for s in run.results["stages"]}
    assert sum(counts["answers"].values()) == 3
    assert sum(counts["instructions"].values()) == sum(counts["judged"].values()) == 3
    # ... and the PT model answered the same prompts, as plain text, for the baseline (H13).
    assert sum(counts["answers_pt"].values()) == sum(counts["instructions_pt"].values()) == 1
