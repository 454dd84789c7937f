"""The steering context manager: identity leaves outputs bit-identical, add and project
do what their formulas say, hooks are gone afterwards."""
from __future__ import annotations

import pytest
import torch
from probe_models import ids, tiny

from specc.ops.probe._layers import Recorder, anatomy
from specc.ops.probe._steering import steering


@pytest.mark.parametrize("family", ["gpt2", "opt", "llama"])
@pytest.mark.parametrize("alpha, mode", [(0.0, "add"), (1.0, "project")])
def test_identity_is_bit_identical(family, alpha, mode):
    lm, x = tiny(family), ids()
    d = torch.randn(32)
    with torch.inference_mode():
        before = lm(input_ids=x).logits
        with steering(lm, d, alpha, "all", mode=mode):
            during = lm(input_ids=x).logits
    assert torch.equal(before, during)


def test_add_shifts_the_block_output_by_alpha_d():
    lm, x = tiny("gpt2"), ids()
    blocks = anatomy(lm).blocks
    d = torch.randn(32)
    with torch.inference_mode():
        with Recorder([blocks[1]]) as plain:
            base = lm(input_ids=x).logits
        with steering(lm, d, 3.0, [1]), Recorder([blocks[1]]) as steered:
            moved = lm(input_ids=x).logits
        after = lm(input_ids=x).logits
    assert torch.allclose(steered.outputs[0], plain.outputs[0] + 3.0 * d, atol=1e-5)
    assert not torch.allclose(moved, base)
    assert torch.equal(after, base)   # hooks removed on exit


def test_project_zero_removes_the_component():
    lm, x = tiny("llama"), ids()
    d = torch.randn(32)
    unit = d / d.norm()
    with torch.inference_mode(), steering(lm, d, 0.0, [-1], mode="project"), \
            Recorder([anatomy(lm).blocks[-1]]) as rec:
        lm(input_ids=x)
    assert torch.allclose(rec.outputs[0] @ unit, torch.zeros(3, 7), atol=1e-4)


def test_per_layer_directions_and_generation():
    lm, x = tiny("gpt2"), ids(1, 4)
    dirs = {0: torch.randn(32) * 5, 3: torch.randn(32) * 5}
    plain = lm.generate(x, max_new_tokens=5, do_sample=False, pad_token_id=0)
    with steering(lm, dirs, 4.0, [0, 3]):
        steered = lm.generate(x, max_new_tokens=5, do_sample=False, pad_token_id=0)
    assert plain.shape == steered.shape and not torch.equal(plain, steered)


def test_unknown_mode():
    with pytest.raises(ValueError, match="add, project"):
        with steering(tiny("gpt2"), torch.ones(32), 1.0, [0], mode="scale"):
            pass
