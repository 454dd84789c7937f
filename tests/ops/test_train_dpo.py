from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("train.dpo")


def test_defaults(params):
    p = params()
    assert p.beta == 0.1 and p.loss_type == "sigmoid" and p.reference is None
    fields = (p.fields.prompt, p.fields.chosen, p.fields.rejected)
    assert fields == ("prompt", "chosen", "rejected")


@pytest.mark.parametrize("kw", [{"beta": 0}, {"loss_type": "kto"},
                                {"fields": {"chosen": "x", "rejected": "x"}},
                                {"fields": {"prompt": "chosen"}}])
def test_rejects(invalid, kw):
    invalid(kw)


def test_cost_counts_chosen_rejected_and_reference_forward(params, ctx):
    # 10 steps x 8 examples x 2 sequences x 100 tokens; policy 6ND + reference 2ND.
    d = 10 * 8 * 2 * 100
    cost = OP.cost(params(), ctx)
    assert cost.tokens == d
    assert cost.flops == pytest.approx((6 + 2) * 1_000_000 * d)
    lora = OP.cost(params(lora={}), ctx)
    assert lora.flops == pytest.approx((4 + 2) * 1_000_000 * d)


def test_cost_uses_a_named_reference_model(params, ctx):
    d = 10 * 8 * 2 * 100
    cost = OP.cost(params(reference="donor"), ctx)
    assert cost.flops == pytest.approx(6 * 1_000_000 * d + 2 * 2_000_000 * d)
    unknown_ref = OP.cost(params(reference="hub/ref"), ctx)
    assert unknown_ref.flops == pytest.approx(6 * 1_000_000 * d)
    assert "reference model size unknown" in unknown_ref.note
