from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import OPS

OP = OPS.get("probe.steer")


def params(**kw):
    return OP.params(**{"model": "tiny", "directions": "dirs", "layer": 4,
                        "alphas": [-4.0, 0.0, 4.0], "items": "pairs", "good": "g",
                        "bad": "b", **kw})


def test_defaults_and_columns():
    p = params()
    assert p.direction_layer is None and p.reduction == "sum"
    assert OP.columns(p) == ("item", "alpha", "logp_good", "logp_bad", "diff", "correct")
    assert OP.carries == "items"


@pytest.mark.parametrize("kw", [{"alphas": []}, {"alphas": [1.0, 1.0]}, {"layer": -1},
                                {"direction_layer": -2}, {"bad": "g"}])
def test_rejects(kw):
    with pytest.raises(ValidationError):
        params(**kw)


def test_cost_scales_with_alphas(ctx):
    # 100 items x 3 alphas x 2 alternatives x 100 tokens.
    assert OP.cost(params(), ctx).flops == 2 * 1_000_000 * 100 * 3 * 2 * 100
