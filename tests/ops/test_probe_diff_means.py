from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import OPS

OP = OPS.get("probe.diff_means")


def params(**kw):
    return OP.params(**{"model": "tiny", "data": "pairs", "positive": "syco",
                        "negative": "candid", **kw})


def test_defaults_and_columns():
    p = params()
    assert p.normalize and p.pooling == "last" and p.layers == "all"
    assert OP.columns(p) == ("layer", "direction", "norm", "separation", "n")
    assert OP.carries is None  # one row per layer: nothing per item to carry


def test_positive_and_negative_must_differ():
    with pytest.raises(ValidationError, match="negative"):
        params(negative="syco")


def test_cost_runs_both_texts(ctx):
    assert OP.cost(params(), ctx).flops == 2 * 1_000_000 * 100 * 2 * 100
