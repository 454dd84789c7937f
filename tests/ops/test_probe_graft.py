from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("probe.graft")


def test_defaults_and_columns(params):
    p = params()
    assert (p.sweep, p.mode, p.positions) == ("together", "weights", "last")
    assert OP.columns(p) == ("item", "layer", "n_layers", "kl_donor", "kl_recipient",
                             "top1_donor")
    assert p.grafts == 1 and params(sweep="from").grafts == 4


@pytest.mark.parametrize("kw", [{"donor": "tiny"}, {"layers": []}, {"layers": [3, 3]},
                                {"layers": "all"}, {"mode": "both"}])
def test_rejects(invalid, kw):
    invalid(kw)


def test_cost_counts_donor_baseline_and_each_graft(params, ctx, blind):
    # 10,000 tokens; donor 2M once, recipient 1M for baseline + 4 grafts.
    d = 10_000
    assert OP.cost(params(sweep="each"), ctx).flops == 2 * d * (2_000_000 + 1_000_000 * 5)
    assert OP.cost(params(), ctx).flops == 2 * d * (2_000_000 + 1_000_000 * 2)
    assert OP.cost(params(), blind).note == "data size unknown"
