"""The fine-tuning params that shape optimisation: warmup_ratio, optimizer, freeze (validation)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops.train import dpo, sft

BASE = {"model": "m", "data": "d", "lr": 1e-5, "epochs": 1}


def test_warmup_ratio_or_steps_not_both():
    assert sft.Params(**BASE, warmup_ratio=0.1).warmup_ratio == 0.1
    with pytest.raises(ValidationError, match="warmup_steps or warmup_ratio"):
        sft.Params(**{**BASE, "epochs": None}, steps=10, warmup_steps=2, warmup_ratio=0.1)
    with pytest.raises(ValidationError):
        sft.Params(**BASE, warmup_ratio=1.0)     # a share of the steps, below 1


def test_apollo_is_refused_with_lora_and_freeze_is_refused_with_lora():
    with pytest.raises(ValidationError, match="apollo_adamw with LoRA"):
        sft.Params(**BASE, optimizer="apollo_adamw", lora={"r": 4})
    with pytest.raises(ValidationError, match="freeze with LoRA"):
        sft.Params(**BASE, freeze={"layers": [0]}, lora={"r": 4})
    with pytest.raises(ValidationError):
        sft.Params(**BASE, optimizer="adam")     # adamw | apollo_adamw


def test_freeze_layers_take_the_layer_selector_forms():
    p = dpo.Params(**BASE, freeze={"layers": ["0:1/2", -1], "embeddings": True})
    assert p.freeze.layers == ["0:1/2", -1] and p.freeze.embeddings
    with pytest.raises(ValidationError):
        dpo.Params(**BASE, freeze={"layers": [1.5]})


def test_adamw_is_set_explicitly_and_apollo_carries_its_projection_settings():
    from specc.ops.train._trl import optimizer_knobs
    assert optimizer_knobs(sft.Params(**BASE)) == {"optim": "adamw_torch_fused"}
    pytest.importorskip("apollo_torch")
    knobs = optimizer_knobs(sft.Params(**BASE, optimizer="apollo_adamw", apollo={"rank": 4, "scale_type": "tensor"}))
    assert knobs["optim"] == "apollo_adamw" and knobs["optim_target_modules"] == "all-linear"
    assert "rank=4" in knobs["optim_args"] and "scale_type=tensor" in knobs["optim_args"]


class UnsizedData:
    """A cost context that knows the model's size but no data size (a hub dataset)."""

    def data_stats(self, name):
        return None

    def model_params(self, name):
        return 1_000_000


def test_a_limit_sizes_the_cost_of_a_source_of_unknown_size():
    from specc.ops.train._finetune import finetune_cost
    limited = finetune_cost(sft.Params(**{**BASE, "data": "curated[sample:100]"}, max_length=64), UnsizedData())
    assert limited.tokens == 100 * 64 and limited.flops == 6 * 1_000_000 * 100 * 64
    unlimited = finetune_cost(sft.Params(**BASE), UnsizedData())
    assert not unlimited.flops                      # no size, no invented FLOPs
