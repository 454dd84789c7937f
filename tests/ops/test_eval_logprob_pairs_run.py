"""eval.logprob_pairs end to end: a tiny GPT-2 from config, a BPE tokenizer trained on
Shakespeare, BLiMP pairs; every score checked against whole-text tokenization and a
one-sequence-at-a-time forward pass."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from op_runner import OpRun

SPEC = """\
data:
  corpus: {{text: "{{shared}}/corpora/tinyshakespeare.txt"}}
  pairs: {{jsonl: "{{shared}}/blimp/anaphor_gender_agreement.jsonl"}}
models:
  tiny: {{init: gpt2, n_layer: 2, n_embd: 32, n_head: 2, n_positions: 64}}
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 600}}
  score:
    op: eval.logprob_pairs
    model: tiny
    tokenizer: tok
    items: pairs
{extra}"""
SENTENCES = "    good: sentence_good\n    bad: sentence_bad\n"


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    """One trained tokenizer for the module: every spec below reuses its artifact."""
    return tmp_path_factory.mktemp("store")


def scored(tmp_path, shared_store, extra: str = ""):
    if "good:" not in extra:
        extra = SENTENCES + extra
    run = OpRun(tmp_path, SPEC.format(extra=extra))
    run.store_root = shared_store
    run.execute()
    return run


def reference(run, text_before: str, alternatives, bos: bool, mean: bool = False):
    """Whole text tokenized at once, scored one sequence at a time with a full log-softmax."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from specc.runtime.models import build_model
    tok = AutoTokenizer.from_pretrained(str(run.folder("tok") / "tokenizer"))
    lm = build_model(run.plan.spec.models["tiny"], len(tok), seed=0).eval()
    head = [tok.bos_token_id] if bos else []
    out = []
    for alt in alternatives:
        ids = head + tok(text_before + alt)["input_ids"]
        start = max(len(head) + len(tok(text_before.rstrip())["input_ids"]) if text_before else len(head), 1)
        with torch.inference_mode():
            logp = torch.log_softmax(lm(input_ids=torch.tensor([ids])).logits[0], -1)
        values = [logp[i - 1, ids[i]].item() for i in range(start, len(ids))]
        out.append(np.mean(values) if mean else np.sum(values))
    return np.array(out)


def test_one_row_per_item_and_prompt_with_the_items_columns(tmp_path, shared_store):
    run = scored(tmp_path, shared_store, '    prompts: ["", "Well, "]\n')
    table = run.table("score")
    assert len(table) == 2 * 1000 and set(table["prompt"]) == {"", "Well, "}
    assert {"item", "prompt", "logp_good", "logp_bad", "diff", "correct", "UID", "pairID"} <= set(table.columns)
    assert np.allclose(table["diff"], table["logp_good"] - table["logp_bad"])
    assert (table["correct"] == (table["diff"] > 0)).all()
    first = table[table["prompt"] == "Well, "].iloc[0]
    assert first["sentence_good"] == "Katherine can't help herself." and first["item"] == 0
    facts = run.manifest("score")["facts"]
    assert facts["reduction"] == "sum" and facts["bos"] == "auto" and facts["bos_token_id"] == 0
    assert facts["requests"] == 4000 and facts["projected_positions"] < facts["scored_tokens"]


@pytest.mark.parametrize("prompt", ["", "Well, "])
def test_scores_equal_the_whole_text_reference(tmp_path, shared_store, prompt):
    run = scored(tmp_path, shared_store, f'    prompts: ["{prompt}"]\n')
    rows = run.table("score").head(12)
    good = reference(run, prompt, rows["sentence_good"], bos=True)
    bad = reference(run, prompt, rows["sentence_bad"], bos=True)
    assert np.abs(rows["logp_good"].to_numpy() - good).max() < 1e-4
    assert np.abs(rows["logp_bad"].to_numpy() - bad).max() < 1e-4


def test_context_mean_reduction_and_no_bos(tmp_path, shared_store):
    run = scored(tmp_path, shared_store, "    context: one_prefix_prefix\n    good: one_prefix_word_good\n"
                 "    bad: one_prefix_word_bad\n    reduction: mean\n    bos: never\n")
    rows = run.table("score").head(10)
    for i, row in rows.iterrows():
        want = reference(run, row["one_prefix_prefix"] + " ", [row["one_prefix_word_good"]], bos=False, mean=True)
        assert row["logp_good"] == pytest.approx(want[0], abs=1e-4)
    assert run.manifest("score")["facts"]["bos_token_id"] is None


def test_batch_tokens_changes_memory_not_results(tmp_path, shared_store):
    small = scored(tmp_path / "a", shared_store, "    batch_tokens: 48\n").table("score")
    large = scored(tmp_path / "b", shared_store, "    batch_tokens: 65536\n").table("score")
    assert np.abs(small["logp_good"] - large["logp_good"]).max() < 1e-4
