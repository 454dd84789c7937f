from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("probe.logit_lens")


def test_defaults_and_columns(params):
    p = params()
    assert p.final_norm and p.positions == "all" and p.commit_kl is None and p.lens == "logit"
    assert OP.columns(p) == ("item", "position", "layer", "kl", "entropy", "top1_agree",
                             "committed", "commitment_layer")


@pytest.mark.parametrize("kw", [{"commit_kl": 0}, {"positions": "first"}, {"layers": []},
                                {"layers": ["x"]}, {"lens": "tuned-ish"}])
def test_rejects(invalid, kw):
    invalid(kw)


def test_cost_is_one_forward_pass(params, ctx):
    assert OP.cost(params(), ctx).flops == 2 * 1_000_000 * 10_000
