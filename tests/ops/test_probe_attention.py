"""probe.attention's per-layer statistics on hand-made attention maps."""
from __future__ import annotations

import math

import pytest
import torch

from specc.ops.probe.attention import _stats


def uniform(t: int) -> torch.Tensor:
    """One head whose query i spreads its attention evenly over keys 0..i (causal)."""
    a = torch.tril(torch.ones(t, t))
    return (a / a.sum(-1, keepdim=True))[None]


def test_uniform_causal_attention_entropy_and_context_share():
    s = _stats(uniform(4), n_context=2)          # text queries: positions 2 and 3
    assert s["entropy"] == pytest.approx((math.log(3) + math.log(4)) / 2)
    assert s["context_share"] == pytest.approx((2 / 3 + 2 / 4) / 2)
    assert s["first_share"] == pytest.approx((1 / 3 + 1 / 4) / 2)


def test_attention_all_on_the_first_token_has_no_entropy():
    a = torch.zeros(2, 3, 3)
    a[..., 0] = 1.0
    s = _stats(a, n_context=0)                   # no context: queries 1 and 2
    assert s["entropy"] == pytest.approx(0.0, abs=1e-6)
    assert s["first_share"] == pytest.approx(1.0) and math.isnan(s["context_share"])


def test_a_text_with_no_tokens_of_its_own_gives_nan():
    s = _stats(uniform(3), n_context=3)
    assert all(math.isnan(v) for v in s.values())
