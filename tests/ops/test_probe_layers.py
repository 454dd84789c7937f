"""Layer selectors and model anatomy: indices, negatives, fractions and slices; the
blocks, MLPs and decoder of gpt2 / opt / llama."""
from __future__ import annotations

import pytest
import torch
from probe_models import ids, tiny

from specc.ops.probe._layers import LayerError, Recorder, anatomy, parse_entry, resolve_layers


@pytest.mark.parametrize("selector, depth, expected", [
    ("all", 4, [0, 1, 2, 3]),
    ([0, -1], 8, [0, 7]),
    ([0.5, 1.0, 0.0], 8, [0, 4, 7]),
    (["2/3:"], 12, [8, 9, 10, 11]),
    (["2/3:"], 6, [4, 5]),
    (["-4:"], 8, [4, 5, 6, 7]),
    (["0.25:0.5"], 8, [2, 3]),
    ([":2", 7], 8, [0, 1, 7]),
])
def test_selectors(selector, depth, expected):
    assert resolve_layers(selector, depth) == expected


@pytest.mark.parametrize("selector", [[8], [-9], ["9:"]])
def test_beyond_depth(selector):
    with pytest.raises(LayerError, match="8 blocks|selects no block"):
        resolve_layers(selector, 8)


@pytest.mark.parametrize("entry", [1.5, -0.5, "a:b", "3", True, "4/3:"])
def test_bad_entries(entry):
    with pytest.raises(ValueError):
        parse_entry(entry)


# gemma2 (a 0.5 soft-cap, which every logit of this tiny model exceeds) and an MoE model:
# families of the pretrained-vs-tuned study.
@pytest.mark.parametrize("family", ["gpt2", "opt", "llama", "gemma2", "qwen2_moe"])
def test_decode_of_last_block_is_the_models_logits(family):
    lm = tiny(family)
    parts = anatomy(lm)
    assert parts.depth == 4 and len(parts.mlps) == 4
    x = ids()
    with torch.inference_mode(), Recorder(parts.blocks) as rec:
        logits = lm(input_ids=x).logits
        decoded = parts.decode(rec.outputs[-1])
    assert torch.equal(decoded, logits)
