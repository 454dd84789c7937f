from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("train.tokenizer")


def test_defaults(params):
    p = params(data="corpus.train")
    assert p.min_frequency == 2 and p.special_tokens == ["<|endoftext|>"]
    assert p.add_prefix_space is False and p.text_field == "text"
    assert OP.produces == "tokenizer" and OP.axes is None


@pytest.mark.parametrize("kw", [
    {"vocab_size": 256},                                    # no room past the bytes
    {"vocab_size": 258, "special_tokens": ["<a>", "<b>"]},  # no room for one merge
    {"special_tokens": ["<a>", "<a>"]},
    {"special_tokens": [""]},
    {"min_frequency": 0},
    {"dropout": 0.1},                                       # unknown key
])
def test_rejects(invalid, kw):
    invalid(kw)


def test_cost_is_cpu_only_over_the_corpus(params, ctx, blind):
    cost = OP.cost(params(), ctx)
    assert cost.flops == 0 and cost.tokens == 10_000
    assert OP.cost(params(), blind).note == "data size unknown"
