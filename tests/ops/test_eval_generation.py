"""The generation engine (`ops/eval/_generation.py`): greedy output equals a hand-written
argmax loop, sampling is a pure function of (seed, item, sample) whatever the batching,
and every row says why it stopped."""
from __future__ import annotations

import pytest
import torch
from generation_helpers import tiny_lm, tiny_tokenizer

from specc.ops.eval._generation import Decoding, Row, batches, generate, row_seed

PROMPTS = ["To be, or not to be", "First Citizen:\nBefore we proceed any further, hear me speak.",
           "O", "KING RICHARD III:\nNow is the winter of our discontent", "Romeo, Romeo, wherefore"]


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def lm(tok):
    return tiny_lm(len(tok))


def rows(tok, seed=0, prompts=PROMPTS, samples=1):
    return [Row(tuple(tok(p)["input_ids"]), row_seed(seed, i, s))
            for i, p in enumerate(prompts) for s in range(samples)]


def run(lm, tok, rs, decoding, batch_tokens=4096, eos=None):
    eos = [tok.eos_token_id] if eos is None else eos
    return generate(lm, tok, rs, decoding, batch_tokens=batch_tokens, eos_ids=eos,
                    pad_id=tok.pad_token_id)


def argmax_loop(lm, prompt, steps, eos=None):
    """The reference: the whole sequence through the model at every step, no cache, no batch."""
    ids = list(prompt)
    out = []
    with torch.no_grad():
        for _ in range(steps):
            nxt = int(lm(torch.tensor([ids])).logits[0, -1].argmax())
            out.append(nxt)
            ids.append(nxt)
            if nxt == eos:
                break
    return out


def test_greedy_equals_step_by_step_argmax(lm, tok):
    rs = rows(tok)
    outs, stats = run(lm, tok, rs, Decoding(max_new_tokens=20), batch_tokens=10_000)
    assert stats.batches == 1 and stats.padded_positions > 0   # one left-padded batch
    for r, o in zip(rs, outs):
        assert o.tokens == argmax_loop(lm, r.prompt, 20)
        assert o.finish == "length"
        assert o.text == tok.decode(o.tokens, skip_special_tokens=True)


def test_greedy_does_not_depend_on_batching(lm, tok):
    rs = rows(tok)
    one, _ = run(lm, tok, rs, Decoding(max_new_tokens=12), batch_tokens=10_000)
    single, stats = run(lm, tok, rs, Decoding(max_new_tokens=12), batch_tokens=1)
    assert stats.batches == len(rs)
    assert [o.tokens for o in one] == [o.tokens for o in single]


SAMPLE = Decoding(sample=True, temperature=0.9, top_k=50, top_p=0.95, max_new_tokens=16)


def test_same_seed_same_samples_other_seed_other_samples(lm, tok):
    a, _ = run(lm, tok, rows(tok, seed=1, samples=2), SAMPLE)
    b, _ = run(lm, tok, rows(tok, seed=1, samples=2), SAMPLE)
    c, _ = run(lm, tok, rows(tok, seed=2, samples=2), SAMPLE)
    assert [o.tokens for o in a] == [o.tokens for o in b]
    assert sum(x.tokens != y.tokens for x, y in zip(a, c)) >= len(a) - 1
    # two samples of one prompt differ: each row has its own generator
    assert all(a[2 * i].tokens != a[2 * i + 1].tokens for i in range(len(PROMPTS)))


def test_samples_do_not_depend_on_batching(lm, tok):
    rs = rows(tok, seed=3, samples=2)
    together, _ = run(lm, tok, rs, SAMPLE, batch_tokens=10_000)
    apart, stats = run(lm, tok, rs, SAMPLE, batch_tokens=1)
    assert stats.batches == len(rs)
    assert [o.tokens for o in together] == [o.tokens for o in apart]


def test_top_k_one_is_greedy(lm, tok):
    rs = rows(tok, seed=4)
    sampled, _ = run(lm, tok, rs, Decoding(sample=True, top_k=1, max_new_tokens=10))
    greedy, _ = run(lm, tok, rs, Decoding(max_new_tokens=10))
    assert [o.tokens for o in sampled] == [o.tokens for o in greedy]


def test_stop_string_cuts_text_and_says_stop(lm, tok):
    rs = rows(tok)
    free, _ = run(lm, tok, rs, Decoding(max_new_tokens=20))
    # a stop string that the first prompt's greedy text contains, from its 3rd token on
    target = tok.decode(free[0].tokens[2:4], skip_special_tokens=True)
    stopped, _ = run(lm, tok, rs, Decoding(max_new_tokens=20, stop=(target,)))
    o = stopped[0]
    assert o.finish == "stop"
    assert o.text == free[0].text[:free[0].text.find(target)]
    assert len(o.tokens) <= 4 and o.tokens == free[0].tokens[:len(o.tokens)]
    for f, s in zip(free, stopped):   # rows whose text never holds it run on unchanged
        if target not in f.text:
            assert s.tokens == f.tokens and s.finish == "length"


def test_eos_ends_a_row_and_is_counted_not_shown(lm, tok):
    rs = rows(tok)
    free, _ = run(lm, tok, rs, Decoding(max_new_tokens=20))
    eos = free[0].tokens[5]          # pretend the 6th generated token ends the turn
    ended, _ = run(lm, tok, rs, Decoding(max_new_tokens=20), eos=[eos])
    o = ended[0]
    first = free[0].tokens.index(eos)
    assert o.finish == "eos" and o.tokens == free[0].tokens[:first + 1]
    assert o.text == tok.decode(free[0].tokens[:first], skip_special_tokens=True)


def test_batches_respect_the_token_budget():
    rs = [Row(tuple(range(n))) for n in (5, 9, 3, 9, 1)]
    got = batches(rs, budget=39, max_new_tokens=1)
    assert got == [[1, 3, 0], [2, 4]]        # longest first; 3 x (9 + 1) = 30 <= 39 < 4 x 10
    assert batches(rs, budget=1, max_new_tokens=1) == [[1], [3], [0], [2], [4]]


def test_row_seeds_are_stable_and_distinct():
    assert row_seed(0, 1, 2) == row_seed(0, 1, 2)
    assert len({row_seed(s, i, k) for s in range(3) for i in range(3) for k in range(3)}) == 27
    assert 0 <= row_seed(2**40, 10**6, 7) < 2**63


def test_the_models_own_generation_config_is_set_aside(lm, tok):
    from transformers import GenerationConfig
    rs = rows(tok)
    plain, _ = run(lm, tok, rs, Decoding(max_new_tokens=10))
    saved = lm.generation_config
    lm.generation_config = GenerationConfig(repetition_penalty=50.0, no_repeat_ngram_size=1,
                                            bad_words_ids=[[t] for t in plain[0].tokens[:3]])
    try:
        again, _ = run(lm, tok, rs, Decoding(max_new_tokens=10))
        assert [o.tokens for o in again] == [o.tokens for o in plain]
        assert lm.generation_config.repetition_penalty == 50.0        # restored afterwards
    finally:
        lm.generation_config = saved
