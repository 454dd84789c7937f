"""train.pretrain end to end with the new data paths: epochs instead of steps, documents
inserted between paragraphs with the realised share in checkpoints.json and the manifest,
shards shared by the stages that read the same corpus."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from op_runner import OpRun
from pretrain_helpers import pretrain, spec

INSERT = {"data": "pairs", "text_field": "sentence_good", "fraction": 0.1, "mode": "insert_documents"}
STAGES = (
    pretrain("by_epochs", epochs=0.05, batch_size=4)
    + pretrain("inserted", steps=4, batch_size=4, checkpoint_every=2, text_documents="paragraphs",
               inject=INSERT)
    + pretrain("two_sources", steps=2, batch_size=4, text_documents="paragraphs",
               inject=[{**INSERT, "fraction": 0.05},
                       {**INSERT, "text_field": "sentence_bad", "fraction": 0.05, "fraction_of": None}]))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    r = OpRun(tmp_path_factory.mktemp("documents"), spec(STAGES))
    r.execute()
    return r


def test_epochs_set_the_step_count_from_the_packed_corpus(run):
    facts = run.manifest("by_epochs")["facts"]
    assert facts["steps"] == math.ceil(0.05 * facts["train_blocks"] / 4)
    assert not run.plan.stages["by_epochs"].params[()].get("steps")


def test_inserted_documents_are_recorded_per_checkpoint(run):
    rows = json.loads((run.folder("inserted") / "checkpoints.json").read_text())
    assert [r["step"] for r in rows] == [2, 4]
    stream = rows[-1]["stream"]
    assert stream["unit"] == "documents" and stream["declared"] == 0.1
    assert abs(stream["injected_documents"] - 0.1 * stream["documents"]) < 1
    assert 0 <= rows[0]["injected_tokens"] <= rows[1]["injected_tokens"]
    assert rows[1]["injected_token_share"] == rows[1]["injected_tokens"] / rows[1]["tokens"]
    history = pd.read_parquet(run.folder("inserted") / "history.parquet")
    assert "injected_tokens" in history.columns and "injected_blocks" not in history.columns
    facts = run.manifest("inserted")["facts"]
    assert facts["inject_mode"] == "insert_documents" and facts["injection"]["document_share"] > 0.09


def test_two_sources_are_mixed_each_at_its_share(run):
    facts = run.manifest("two_sources")["facts"]
    shares = [s["documents"] / facts["injection"]["documents"] for s in facts["injection"]["per_source"]]
    assert all(abs(s - 0.05) < 0.01 for s in shares)


def test_stages_reading_the_same_corpus_share_its_shards(run):
    corpora = list((run.store_root / ".shared" / "corpora").iterdir())
    # the whole corpus as one text (by_epochs), as paragraphs, and the two fields of the pairs
    assert len(corpora) == 4


def test_results_report_the_realised_injection(run, tmp_path):
    from specc.report.injection import realised_injection
    from specc.report.results import load_results, render_results
    rows = {r["stage"]: r for r in realised_injection(run.plan, run.store)}
    assert set(rows) == {"inserted", "two_sources"}
    inserted = rows["inserted"]
    assert (inserted["mode"], inserted["unit"], inserted["declared"], inserted["tasks"]) == \
        ("insert_documents", "documents", 0.1, 1)
    low, high = inserted["realised"]["documents"]
    assert low == high and abs(low - 0.1) < 0.01
    golden = __import__("pathlib").Path(__file__).parents[1] / "report" / "golden" / "results_input.json"
    results = load_results(golden)
    results["injection"] = list(rows.values())
    text = render_results(results, tmp_path).read_text(encoding="utf-8")
    assert "**Injection (realised):** inserted: declared 10" in text
