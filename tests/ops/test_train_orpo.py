from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import OPS

OP = OPS.get("train.orpo")


def params(**kw):
    return OP.params(**{"model": "tiny", "data": "pairs", "lr": 8e-6, "steps": 10, **kw})


def test_defaults_and_no_reference_model():
    p = params()
    assert p.beta == 0.1 and p.fields.chosen == "chosen"
    with pytest.raises(ValidationError, match="reference"):
        params(reference="tiny")


def test_cost_counts_chosen_and_rejected_without_reference(ctx):
    d = 10 * 8 * 2 * 100
    assert OP.cost(params(), ctx).flops == pytest.approx(6 * 1_000_000 * d)
