from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("analyse.corpus_stats")


def test_defaults_and_columns(params):
    p = params()
    assert p.pattern == "{first} and {second}" and p.lowercase and p.bins == 5
    assert OP.columns(p) == ("item", "count_ab", "count_ba", "total", "log_ratio",
                             "per_million", "quantile", "freq_bin")
    assert OP.columns(params(first=None, second=None, phrase="w")) == (
        "item", "count", "per_million", "quantile", "freq_bin")
    assert OP.columns(params(statistic="divergence", other="pairs", items=None, first=None,
                             second=None))[:4] == ("n", "kl_pq", "kl_qp", "js")
    assert OP.carries == "items"


@pytest.mark.parametrize("kw", [{"pattern": "{first} and"}, {"pattern": "{first} {x} {second}"},
                                {"pattern": "{first} {first}"}, {"second": "a"}, {"bins": 0},
                                {"phrase": "w"}, {"items": None},
                                {"statistic": "classifier"},
                                {"statistic": "divergence", "other": ["a", "b"]}])
def test_rejects(invalid, kw):
    invalid(kw)


def test_cost_is_cpu_only(params, ctx):
    cost = OP.cost(params(pattern="{first} or {second}"), ctx)
    assert cost.flops == 0 and cost.tokens == 10_000
