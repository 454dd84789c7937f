from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("analyse.effect_size")


def test_defaults_keep_value_types_and_columns(params):
    p = params(paired_by="item")
    assert p.treatment == 8 and isinstance(p.treatment, int) and p.measure == "cohens_d"
    assert params(condition="model", treatment="7M", control="34M").treatment == "7M"
    assert OP.columns(p) == ("n_treatment", "n_control", "mean_treatment", "mean_control",
                             "difference", "effect_size", "p_value")


@pytest.mark.parametrize("kw", [{"control": 8}, {"condition": "diff"},
                                {"paired_by": "alpha"}, {"measure": "r"}])
def test_rejects(invalid, kw):
    invalid(kw)
