from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("analyse.bootstrap")


def test_defaults_and_columns(params):
    p = params(unit="item", per=["model"])
    assert (p.statistic, p.level, p.method, p.resamples) == ("mean", 0.95, "bca", 10_000)
    assert OP.columns(p) == ("model", "n", "estimate", "ci_low", "ci_high")


@pytest.mark.parametrize("kw", [{"level": 1.0}, {"level": 0}, {"resamples": 10},
                                {"unit": "correct"}, {"per": ["correct"]},
                                {"per": ["m", "m"]}])
def test_rejects(invalid, kw):
    invalid(kw)
