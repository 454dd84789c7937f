"""Config models build as real transformers models with the counted parameters."""
import pytest
import torch

from specc.compiler.model_size import param_count
from specc.compiler.spec_model import ConfigModel
from specc.runtime.models import build_model


@pytest.mark.parametrize("init", ["gpt2", "opt", "llama"])
def test_build_from_config(init):
    spec = ConfigModel(init=init, n_layer=2, n_embd=64, n_head=4, n_positions=64)
    model = build_model(spec, vocab_size=512, seed=1)
    assert sum(p.numel() for p in model.parameters()) == param_count(spec, 512)
    logits = model(torch.tensor([[1, 2, 3]])).logits
    assert logits.shape == (1, 3, 512)


def test_same_seed_same_weights():
    spec = ConfigModel(init="gpt2", n_layer=1, n_embd=32, n_head=2, n_positions=32)
    a, b = build_model(spec, 100, seed=5), build_model(spec, 100, seed=5)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
