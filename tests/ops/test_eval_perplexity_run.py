"""eval.perplexity end to end: a tiny GPT-2 from config and a BPE tokenizer trained on
Shakespeare; every document's NLL checked against a token-by-token reference in which
each token is scored by the earliest window that holds it with some context."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from op_runner import SHARED, OpRun

POSITIONS = 32
SPEC = """\
data:
  corpus: {{text: "{{shared}}/corpora/tinyshakespeare.txt"}}
  docs: {{{source}: "{file}"}}
models:
  tiny: {{init: gpt2, n_layer: 2, n_embd: 32, n_head: 2, n_positions: {positions}}}
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 600}}
  ppl:
    op: eval.perplexity
    model: tiny
    tokenizer: tok
    data: docs
{extra}"""


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    """One trained tokenizer for the module: every spec below reuses its artifact."""
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def texts():
    """Three Shakespeare passages of different lengths (about 30 to 170 tokens)."""
    corpus = (SHARED / "corpora" / "tinyshakespeare.txt").read_text()
    return [corpus[:600], corpus[600:760], corpus[760:860]]


def scored(tmp_path, shared_store, texts, extra: str = "", source: str = "jsonl"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    if source == "jsonl":
        records = [{"id": i, "body": t} for i, t in enumerate(texts)]
        (tmp_path / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    else:
        (tmp_path / "docs.txt").write_text(texts[0])
    file = "docs.jsonl" if source == "jsonl" else "docs.txt"
    run = OpRun(tmp_path, SPEC.format(source=source, file=file, positions=POSITIONS, extra=extra))
    run.store_root = shared_store
    run.execute()
    return run


def reference(run, texts: list[str], window: int, stride: int, bos: bool):
    """(tokens, nll) per text: token t (of BOS + ids) is predicted from the tokens since the
    start of the earliest window [k·step, k·step + window) that holds it past its first
    position, under a full log-softmax. Tokens with the same start share one forward pass
    (causal attention: the logits before t do not depend on what follows)."""
    from collections import defaultdict

    from transformers import AutoTokenizer
    from specc.runtime.models import build_model
    tok = AutoTokenizer.from_pretrained(str(run.folder("tok") / "tokenizer"))
    lm = build_model(run.plan.spec.models["tiny"], len(tok), seed=0).eval()
    step = min(stride, window - 1)
    out = []
    for text in texts:
        seq = ([tok.bos_token_id] if bos else []) + tok(text)["input_ids"]
        by_start = defaultdict(list)
        for t in range(1, len(seq)):
            by_start[max(0, (t - window) // step + 1) * step].append(t)
        nll = 0.0
        with torch.inference_mode():
            for start, scored in by_start.items():
                assert scored[-1] - start < window   # the context fits in one window
                logp = torch.log_softmax(lm(input_ids=torch.tensor([seq[start:scored[-1]]])).logits[0], -1)
                nll -= sum(logp[t - start - 1, seq[t]].item() for t in scored)
        out.append((len(seq) - 1, nll))
    return out


@pytest.mark.parametrize("window,stride,bos", [
    (16, 8, "auto"),     # overlapping windows, BOS first
    (16, 16, "auto"),    # stride = window: windows still share one token
    (12, 5, "never"),    # odd stride, no BOS: the first token is not scored
])
def test_nll_equals_the_token_by_token_reference(tmp_path, shared_store, texts, window, stride, bos):
    run = scored(tmp_path, shared_store, texts,
                 f"    text_field: body\n    window: {window}\n    stride: {stride}\n    bos: {bos}\n")
    table = run.table("ppl")
    assert list(table["doc"]) == [0, 1, 2]   # one row per JSONL record
    for i, (tokens, nll) in enumerate(reference(run, texts, window, stride, bos == "auto")):
        row, text = table.iloc[i], texts[i]
        assert row["tokens"] == tokens and row["bytes"] == len(text.encode())
        assert row["nll"] == pytest.approx(nll, abs=1e-4)
    assert np.allclose(table["nll_per_token"], table["nll"] / table["tokens"])
    assert np.allclose(table["ppl"], np.exp(table["nll"] / table["tokens"]))
    assert np.allclose(table["bits_per_byte"], table["nll"] / (table["bytes"] * math.log(2)))
    facts = run.manifest("ppl")["facts"]
    assert (facts["window"], facts["stride"], facts["bos"]) == (window, stride, bos)
    assert facts["tokens"] == table["tokens"].sum() == facts["scored_tokens"]


def test_text_source_is_one_document_at_the_default_window(tmp_path, shared_store, texts):
    run = scored(tmp_path, shared_store, texts, source="text")
    table = run.table("ppl")
    assert len(table) == 1 and table["bytes"][0] == len(texts[0].encode())
    facts = run.manifest("ppl")["facts"]
    assert (facts["window"], facts["stride"]) == (POSITIONS, POSITIONS // 2)
    [(tokens, nll)] = reference(run, texts[:1], POSITIONS, POSITIONS // 2, bos=True)
    assert table["tokens"][0] == tokens and table["nll"][0] == pytest.approx(nll, abs=1e-4)


def test_window_longer_than_the_model_is_rejected(tmp_path, shared_store, texts):
    with pytest.raises(Exception, match="exceeds the model's context length"):
        scored(tmp_path, shared_store, texts, f"    text_field: body\n    window: {2 * POSITIONS}\n")
