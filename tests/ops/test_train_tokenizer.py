from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import OPS

OP = OPS.get("train.tokenizer")


def test_defaults():
    p = OP.params(data="corpus.train", vocab_size=2048)
    assert p.min_frequency == 2 and p.special_tokens == ["<|endoftext|>"]
    assert p.add_prefix_space is False and p.text_field == "text"
    assert OP.produces == "tokenizer" and OP.axes is None


@pytest.mark.parametrize("kw", [
    {"vocab_size": 256},                                    # no room past the bytes
    {"vocab_size": 258, "special_tokens": ["<a>", "<b>"]},  # no room for one merge
    {"vocab_size": 2048, "special_tokens": ["<a>", "<a>"]},
    {"vocab_size": 2048, "special_tokens": [""]},
    {"vocab_size": 2048, "min_frequency": 0},
    {"vocab_size": 2048, "dropout": 0.1},                   # unknown key
])
def test_rejects(kw):
    with pytest.raises(ValidationError):
        OP.params(data="corpus", **kw)


def test_cost_is_cpu_only_over_the_corpus(ctx, blind):
    cost = OP.cost(OP.params(data="corpus", vocab_size=2048), ctx)
    assert cost.flops == 0 and cost.tokens == 10_000
    assert OP.cost(OP.params(data="corpus", vocab_size=2048), blind).note == "data size unknown"
