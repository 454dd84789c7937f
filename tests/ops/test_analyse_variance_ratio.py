from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("analyse.variance_ratio")


def test_defaults_and_columns(params):
    p = params(conditions=["model", "inject"])
    assert p.unit == "seed"
    assert OP.columns(p) == ("n_conditions", "n_units", "var_between", "var_within",
                             "ratio", "icc1", "f", "p_value")


@pytest.mark.parametrize("kw", [{"conditions": []}, {"conditions": ["seed"]},
                                {"conditions": ["m"], "per": ["m"]},
                                {"conditions": ["correct"]}])
def test_rejects(invalid, kw):
    invalid(kw)
