from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("probe.diff_means")


def test_defaults_and_columns(params):
    p = params()
    assert p.normalize and p.pooling == "last" and p.layers == "all" and p.reference is None
    assert OP.columns(p) == ("layer", "direction", "norm", "separation", "n")
    assert OP.carries is None  # one row per layer: nothing per item to carry


def test_positive_and_negative_must_differ(invalid):
    invalid({"negative": "syco"}, match="negative")


@pytest.mark.parametrize("kw", [{"negative": None}, {"reference": "donor"}])
def test_exactly_one_contrast(invalid, kw):
    invalid(kw, match="exactly one")


def test_across_models(params):
    assert params(negative=None, reference="donor").reference == "donor"


def test_cost_runs_both_texts(params, ctx):
    assert OP.cost(params(), ctx).flops == 2 * 1_000_000 * 100 * 2 * 100
