from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("probe.linear")


def test_defaults_and_columns(params):
    p = params()
    assert p.folds == 5 and p.C == 1.0 and p.standardize and p.group is None
    assert p.shuffled_control and p.estimator == "logistic"
    assert OP.columns(p) == ("item", "layer", "fold", "control", "target", "predicted",
                             "correct", "majority")


@pytest.mark.parametrize("kw", [{"folds": 1}, {"C": 0}, {"group": "context_condition"},
                                {"estimator": "svm"}, {"layers": [2.0]}])
def test_rejects(invalid, kw):
    invalid(kw)


def test_costs_no_flops(params, ctx):
    assert OP.cost(params(), ctx).flops == 0
