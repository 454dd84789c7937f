from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("analyse.correlate")


def test_join_with_a_second_table_and_per_columns(params):
    p = params(table="score", x="correct", x_by=["UID"], y_table="humans",
               y="total_mean", y_by=["Condition"], per=["checkpoint"])
    assert p.method == "spearman"
    assert OP.columns(p) == ("checkpoint", "n", "r", "p_value", "ci_low", "ci_high")
    assert OP.columns(params()) == ("n", "r", "p_value", "ci_low", "ci_high")


@pytest.mark.parametrize("kw,where", [
    ({"y_table": "humans"}, "y_table"),                     # a join needs keys
    ({"x_by": ["UID"], "y_by": ["Condition"]}, "y_by"),     # y_by without y_table
    ({"x_by": ["UID"], "y_table": "h", "y_by": ["a", "b"]}, "y_by"),
    ({"y": "a"}, "y"),                                      # x and y the same column
    ({"per": ["a"]}, "per"),
    ({"method": "distance"}, "method"),
])
def test_rejects_at_the_offending_field(invalid, kw, where):
    invalid(kw, where=where)


def test_costs_no_flops(params, ctx):
    assert OP.cost(params(), ctx).flops == 0
