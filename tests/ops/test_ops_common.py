"""Shared param types and cost helpers."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import Cost
from specc.ops._common import Layers, forward_cost, model_cost
from specc.ops._op import OpParams


class WithLayers(OpParams):
    layers: Layers = "all"


@pytest.mark.parametrize("value", ["all", [0], [3, 1, 7], [-1], [0.5, 1.0], ["2/3:"], ["-4:", 0]])
def test_layers_accepts_indices_negatives_fractions_and_slices(value):
    assert WithLayers(layers=value).layers == value


@pytest.mark.parametrize("value", [[], [1, 1], "last", 3, [True], [1.5], ["a:b"], ["4/3:"]])
def test_layers_rejects_with_one_message(value):
    with pytest.raises(ValidationError) as err:
        WithLayers(layers=value)
    assert len(err.value.errors()) == 1
    assert err.value.errors()[0]["loc"] == ("layers",)


def test_model_cost_is_k_n_d(ctx):
    assert model_cost(ctx, "tiny", 500.0, 6).flops == 6 * 1_000_000 * 500


def test_unknown_model_costs_nothing_but_says_so(ctx):
    cost = model_cost(ctx, "hub/gpt2", 500.0, 6)
    assert cost == Cost(flops=0.0, tokens=500.0, note="model size unknown")


def test_unknown_data_costs_nothing_but_says_so(ctx):
    cost = forward_cost(ctx, "tiny", "hub_data")
    assert cost.flops == 0 and cost.note == "data size unknown"


def test_forward_cost_counts_records_prompts_and_sequences(ctx):
    # pairs: 100 records of 100 tokens; prompt "abcd" is 1 token; 2 prompts x 2 sequences.
    cost = forward_cost(ctx, "tiny", "pairs", sequences_per_record=2, prompts=["", "abcd"])
    assert cost.tokens == pytest.approx(100 * 2 * 2 * 100.5)
    assert cost.flops == pytest.approx(2 * 1_000_000 * cost.tokens)


def test_forward_cost_caps_sequences_at_max_length(ctx):
    cost = forward_cost(ctx, "tiny", "corpus", cap=64)
    assert cost.tokens == 10 * 64
