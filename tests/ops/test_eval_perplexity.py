from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("eval.perplexity")


def test_defaults_and_columns(params):
    p = params()
    assert p.window is None and p.stride is None
    assert OP.columns(p) == ("doc", "tokens", "bytes", "nll", "nll_per_token", "ppl",
                             "bits_per_byte")


@pytest.mark.parametrize("kw,match", [
    ({"stride": 64}, "needs an explicit window"),
    ({"window": 64, "stride": 65}, "exceeds window"),
    ({"window": 1}, "greater than 1"),
    ({"window": 64, "stride": 0}, "greater than 0"),
])
def test_rejects(invalid, kw, match):
    invalid(kw, match=match)


def test_cost_recomputes_overlaps(params, ctx):
    # corpus: 10,000 tokens; window/stride = 4 -> D = 40,000.
    cost = OP.cost(params(window=128, stride=32), ctx)
    assert cost.tokens == 40_000 and cost.flops == 2 * 1_000_000 * 40_000
    assert OP.cost(params(), ctx).tokens == 20_000  # default stride = window / 2
