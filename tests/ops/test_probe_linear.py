from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("probe.linear")


def test_defaults_and_columns(params):
    p = params()
    assert p.test_fraction == 0.2 and p.C == 1.0 and p.standardize and p.group is None
    assert OP.columns(p) == ("item", "layer", "target", "predicted", "correct")


@pytest.mark.parametrize("kw", [{"test_fraction": 0}, {"test_fraction": 1}, {"C": 0},
                                {"group": "context_condition"}])
def test_rejects(invalid, kw):
    invalid(kw)


def test_costs_no_flops(params, ctx):
    assert OP.cost(params(), ctx).flops == 0
