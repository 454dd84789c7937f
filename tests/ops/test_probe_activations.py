from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("probe.activations")


def test_defaults_and_columns(params):
    p = params()
    assert (p.layers, p.site, p.pooling) == ("all", "residual", "last")
    assert OP.columns(p) == ("item", "layer", "shard", "row")
    assert OP.columns(params(pooling="all")) == ("item", "layer", "position", "shard", "row")
    assert OP.columns(params(pooling={"end_of": "x"})) == ("item", "layer", "position", "shard", "row")
    assert OP.carries == "data"


@pytest.mark.parametrize("kw", [{"layers": [1.5]}, {"layers": ["a:b"]}, {"site": "embed"}, {"pooling": "max"},
                                {"max_length": 0}])
def test_rejects(invalid, kw):
    invalid(kw)


def test_cost_caps_texts_at_max_length(params, ctx):
    assert OP.cost(params(data="corpus", max_length=100), ctx).flops == 2 * 1_000_000 * 10 * 100
