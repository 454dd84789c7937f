from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.ops import OPS

OP = OPS.get("eval.logprob_pairs")
BLIMP = Path(__file__).parents[3] / "shared/data/blimp/anaphor_gender_agreement.jsonl"


def test_defaults_and_columns(params):
    p = params()
    assert p.prompts == [""] and p.reduction == "sum" and p.bos == "auto"
    assert p.context is None and p.separator == " "
    assert OP.columns(p) == ("item", "prompt", "logp_good", "logp_bad", "diff", "correct")
    assert OP.carries == "items" and OP.produces == "table"


@pytest.mark.parametrize("kw,where", [
    ({"bad": "sentence_good"}, "bad"),
    ({"context": "sentence_bad"}, "context"),
    ({"prompts": []}, "prompts"),
    ({"prompts": ["So, ", "So, "]}, "prompts"),
    ({"reduction": "max"}, "reduction"),
    ({"bos": "yes"}, "bos"),
    ({"batch_tokens": 0}, "batch_tokens"),
])
def test_rejects_at_the_offending_field(invalid, kw, where):
    invalid(kw, where=where)


def test_cost_is_2nd_over_items_prompts_and_both_alternatives(params, ctx, blind):
    # 100 items of 100 tokens; prompts "" and "Well, " (6 bytes = 1.5 tokens, averaged).
    cost = OP.cost(params(prompts=["", "Well, "]), ctx)
    assert cost.tokens == pytest.approx(100 * 2 * 2 * (100 + 0.75))
    assert cost.flops == pytest.approx(2 * 1_000_000 * cost.tokens)
    assert OP.cost(params(), blind).flops == 0


@pytest.mark.skipif(not BLIMP.exists(), reason="shared data not present")
def test_blimp_fields_exist_in_the_shared_data(params):
    record = json.loads(BLIMP.read_text().splitlines()[0])
    p = params(context="one_prefix_prefix", good="one_prefix_word_good",
               bad="one_prefix_word_bad")
    assert {p.good, p.bad, p.context} <= set(record)
