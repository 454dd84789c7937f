from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import OPS

OP = OPS.get("analyse.corpus_stats")


def params(**kw):
    return OP.params(**{"corpus": "corpus", "items": "pairs", "first": "a", "second": "b",
                        **kw})


def test_defaults_and_columns():
    p = params()
    assert p.pattern == "{first} and {second}" and p.lowercase and p.bins == 5
    assert OP.columns(p) == ("item", "count_ab", "count_ba", "total", "log_ratio", "freq_bin")
    assert OP.carries == "items"


@pytest.mark.parametrize("kw", [{"pattern": "{first} and"}, {"pattern": "{first} {x} {second}"},
                                {"pattern": "{first} {first}"}, {"second": "a"}, {"bins": 0}])
def test_rejects(kw):
    with pytest.raises(ValidationError):
        params(**kw)


def test_cost_is_cpu_only(ctx):
    cost = OP.cost(params(pattern="{first} or {second}"), ctx)
    assert cost.flops == 0 and cost.tokens == 10_000
