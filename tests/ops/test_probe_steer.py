from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("probe.steer")


def test_defaults_and_columns(params):
    p = params()
    assert p.direction_layer is None and p.reduction == "sum" and p.mode == "add"
    assert not p.random_control
    assert OP.columns(p) == ("item", "alpha", "vector", "logp_good", "logp_bad", "diff", "correct")
    assert OP.carries == "items"


@pytest.mark.parametrize("kw", [{"alphas": []}, {"alphas": [1.0, 1.0]}, {"layers": [1.5]},
                                {"direction_layer": -2}, {"bad": "g"}, {"mode": "scale"}])
def test_rejects(invalid, kw):
    invalid(kw)


def test_cost_scales_with_alphas_and_the_control(params, ctx):
    # 100 items x 3 alphas x 2 alternatives x 100 tokens (x 2 with the random control).
    assert OP.cost(params(), ctx).flops == 2 * 1_000_000 * 100 * 3 * 2 * 100
    assert OP.cost(params(random_control=True), ctx).flops == 2 * 2 * 1_000_000 * 100 * 3 * 2 * 100
