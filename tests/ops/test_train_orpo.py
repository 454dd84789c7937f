from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("train.orpo")


def test_defaults_and_no_reference_model(params, invalid):
    p = params()
    assert p.beta == 0.1 and p.fields.chosen == "chosen"
    invalid({"reference": "tiny"}, match="reference")


def test_cost_counts_chosen_and_rejected_without_reference(params, ctx):
    d = 10 * 8 * 2 * 100
    assert OP.cost(params(), ctx).flops == pytest.approx(6 * 1_000_000 * d)
