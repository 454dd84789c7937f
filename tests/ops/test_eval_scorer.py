"""The fast scorer (ops/eval/_scorer.py) agrees with the one-at-a-time reference."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import transformers

from specc.ops.eval import _scorer
from specc.ops.eval._scorer import Request, check_lengths, score, score_naive

VOCAB = 300


def tiny(family: str):
    torch.manual_seed(0)
    common = dict(vocab_size=VOCAB, bos_token_id=0, eos_token_id=0)
    if family == "gpt2":
        cfg = transformers.GPT2Config(n_positions=64, n_embd=32, n_layer=2, n_head=2, **common)
    elif family == "llama":
        cfg = transformers.LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=2, max_position_embeddings=64, **common)
    elif family == "mistral":   # sliding-window attention: its cache keeps only the window
        cfg = transformers.MistralConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=2, num_key_value_heads=2, sliding_window=4,
                                         max_position_embeddings=64, **common)
    else:
        cfg = transformers.OPTConfig(hidden_size=32, ffn_dim=64, num_hidden_layers=2, num_attention_heads=2,
                                     max_position_embeddings=64, word_embed_proj_dim=32, pad_token_id=1, **common)
    lm = transformers.AutoModelForCausalLM.from_config(cfg).eval()
    with torch.no_grad():   # far from uniform outputs, so a wrong position or mask shows
        for weight in lm.parameters():
            if weight.dim() == 2:
                weight.normal_(0.0, 0.3)
    return lm


def requests(n_items: int = 60, seed: int = 0) -> list[Request]:
    """Pairs sharing a prompt prefix (none, BOS, BOS + prompt), an item context and a stem,
    with targets of different lengths (so rows are padded), and some exact repeats."""
    rnd = random.Random(seed)
    words = lambda lo, hi: tuple(rnd.randrange(VOCAB) for _ in range(rnd.randrange(lo, hi)))  # noqa: E731
    out = []
    for _ in range(n_items):
        prefix = rnd.choice([(), (0,), (0, 5, 6, 7), (0, 1, 2, 3, 1, 2, 3, 1, 2)])
        context, stem = words(0, 4), words(0, 4)
        out += [Request(prefix, context, stem + words(1, 8)), Request(prefix, context, stem + words(1, 8))]
    return out + out[:7]


@pytest.mark.parametrize("family", ["gpt2", "llama", "opt", "mistral"])
def test_matches_the_reference_on_shared_prefixes_padding_and_lengths(family):
    lm, reqs = tiny(family), requests()
    ref, fast = score_naive(lm, reqs), score(lm, reqs, batch_tokens=64)
    assert np.abs(ref.logprob - fast.logprob).max() < 1e-4
    assert (ref.tokens == fast.tokens).all()
    assert fast.stats["unique_requests"] == len(reqs) - 7   # the repeats are scored once
    assert fast.stats["projected_positions"] < fast.stats["scored_tokens"]   # stems shared


def test_results_do_not_depend_on_the_batch_size():
    lm, reqs = tiny("gpt2"), requests(seed=1)
    runs = [score(lm, reqs, batch_tokens=b).logprob for b in (8, 50, 333, 100_000)]
    for other in runs[1:]:
        assert np.abs(runs[0] - other).max() < 1e-4
    assert score(lm, reqs, batch_tokens=8).stats["batches"] > score(lm, reqs, batch_tokens=100_000).stats["batches"]


def test_without_prefix_sharing_and_through_the_models_own_logits(monkeypatch):
    lm, reqs = tiny("gpt2"), requests(seed=2)
    ref = score_naive(lm, reqs).logprob
    assert np.abs(score(lm, reqs, share_prefix=False).logprob - ref).max() < 1e-4
    # A model whose logits are not head(hidden), e.g. soft-capped, takes the slow path.
    monkeypatch.setattr(_scorer, "_head", lambda model: (model.get_output_embeddings(), False))
    assert np.abs(score(lm, reqs, batch_tokens=40).logprob - ref).max() < 1e-4


def test_a_first_token_without_context_is_not_scored():
    lm = tiny("gpt2")
    alone, after_bos = Request((), (), (5, 6, 7)), Request((0,), (), (5, 6, 7))
    scores = score(lm, [alone, after_bos])
    assert list(scores.tokens) == [2, 3]
    logp = torch.log_softmax(lm(input_ids=torch.tensor([[5, 6, 7]])).logits[0], -1)
    assert scores.logprob[0] == pytest.approx((logp[0, 6] + logp[1, 7]).item(), abs=1e-5)


def test_too_long_requests_are_refused_before_any_work():
    with pytest.raises(ValueError, match="request 1 is 70 tokens long; the model takes at most 64"):
        check_lengths([Request((0,), (), (1,)), Request((0,), (), tuple(range(69)))], 64)


def test_the_blockwise_normaliser_spans_several_vocabulary_and_row_blocks(monkeypatch):
    monkeypatch.setattr(_scorer, "ROW_BLOCK", 7)
    monkeypatch.setattr(_scorer, "VOCAB_BLOCK", 64)   # 300 tokens: 5 blocks, the last partial
    lm, reqs = tiny("llama"), requests(seed=3)
    assert np.abs(score(lm, reqs).logprob - score_naive(lm, reqs).logprob).max() < 1e-4
    states, weight = torch.randn(20, 32) * 10, torch.randn(300, 32)
    bias = torch.randn(300)
    want = torch.logsumexp(states @ weight.T + bias, -1)
    assert torch.allclose(_scorer._logsumexp_of_linear(states, weight, bias), want, atol=1e-4)


def test_progress_hears_every_batch_up_to_every_row():
    lm, reqs = tiny("gpt2"), requests()
    heard = []
    scores = score(lm, reqs, batch_tokens=64, progress=lambda done, total, **m: heard.append((done, total, m)))
    assert len(heard) == scores.stats["batches"] > 1
    assert [m["batches"] for *_, m in heard] == list(range(1, len(heard) + 1))
    assert [d for d, _, _ in heard] == sorted(d for d, _, _ in heard)
    assert heard[-1][:2] == (scores.stats["rows"], scores.stats["rows"])
