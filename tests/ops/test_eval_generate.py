"""eval.generate's params and cost model."""
from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("eval.generate")


def test_defaults_are_greedy_one_continuation(params):
    p = params()
    assert (p.decoding, p.samples, p.max_new_tokens, p.truncate, p.chat_template) == \
        ("greedy", 1, 64, "error", None)


@pytest.mark.parametrize("kw,match", [
    ({"temperature": 0.7}, "greedy decoding .* temperature: 0.7"),
    ({"samples": 4}, "samples: 4"),
    ({"system": "Be brief."}, "needs a chat_template"),
    ({"decoding": "sample", "temperature": 0}, "greater than 0"),
    ({"decoding": "sample", "top_p": 1.5}, "less than or equal to 1"),
    ({"stop": ["\n", "\n"]}, "duplicate"),
    ({"stop": [""]}, "at least 1 character"),
    ({"prompt": "{unclosed"}, "not a valid format string"),
    ({"prompt": "Q: {}"}, "unnamed placeholder"),
])
def test_bad_params(invalid, kw, match):
    invalid(kw, match=match)


def test_sampling_settings_with_sample_decoding(params):
    p = params(decoding="sample", temperature=0.7, top_p=0.9, top_k=40, samples=5,
               chat_template="tokenizer", system="Be brief.")
    assert p.samples == 5 and p.system == "Be brief."


def test_cost_counts_prompt_and_new_tokens_per_sample(params, ctx, blind):
    # pairs: 100 records of 100 tokens; prompt "{prompt}" adds no literal text.
    cost = OP.cost(params(max_new_tokens=50, decoding="sample", samples=2), ctx)
    assert cost.tokens == 100 * 2 * (100 + 50)
    assert cost.flops == 2 * 1_000_000 * cost.tokens
    assert OP.cost(params(), blind).flops == 0

