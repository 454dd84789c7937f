from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("probe.graft")


def test_defaults_and_columns(params):
    p = params()
    assert (p.sweep, p.mode, p.positions, p.component, p.both_directions) == (
        "together", "weights", "last", "mlp", True)
    assert OP.columns(p) == ("item", "direction", "graft", "n_layers", "layer", "kl_donor",
                             "kl_recipient", "top1_donor", "top1_recipient", "late_kl_donor",
                             "late_kl_recipient")
    assert p.grafts == 1 and params(sweep="from").grafts == 4


@pytest.mark.parametrize("kw", [{"donor": "tiny"}, {"layers": []}, {"layers": [3, 3]},
                                {"mode": "both"}, {"component": "attention"}, {"layers": [1.5]}])
def test_rejects(invalid, kw):
    invalid(kw)


def test_cost_counts_both_models_and_each_graft(params, ctx, blind):
    # 10,000 tokens; donor 2M, recipient 1M: both once, then each graft in each direction.
    d = 10_000
    assert OP.cost(params(sweep="each"), ctx).flops == 2 * d * (3_000_000 + 4 * 3_000_000)
    assert OP.cost(params(both_directions=False), ctx).flops == 2 * d * (3_000_000 + 1_000_000)
    assert OP.cost(params(), blind).note == "data size unknown"
