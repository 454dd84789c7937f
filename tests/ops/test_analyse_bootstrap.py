from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import OPS

OP = OPS.get("analyse.bootstrap")


def test_defaults_and_columns():
    p = OP.params(table="score", value="correct", unit="item", per=["model"])
    assert (p.statistic, p.level, p.method, p.resamples) == ("mean", 0.95, "bca", 10_000)
    assert OP.columns(p) == ("model", "n", "estimate", "ci_low", "ci_high")


@pytest.mark.parametrize("kw", [{"level": 1.0}, {"level": 0}, {"resamples": 10},
                                {"unit": "correct"}, {"per": ["correct"]},
                                {"per": ["m", "m"]}])
def test_rejects(kw):
    with pytest.raises(ValidationError):
        OP.params(**{"table": "score", "value": "correct", **kw})
