"""The params and cost every fine-tuning op shares (train._finetune), via train.sft."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import OPS
from specc.ops.train._finetune import FinetuneParams

OP = OPS.get("train.sft")


def test_all_three_share_one_base():
    for name in ("train.sft", "train.dpo", "train.orpo"):
        assert issubclass(OPS.get(name).params, FinetuneParams)


def test_cpu_safe_defaults_are_explicit(params):
    p = params()
    assert p.precision == "fp32" and p.gradient_checkpointing is False
    assert p.lora is None and p.replay is None and p.seed is None


def test_lr_is_required():
    with pytest.raises(ValidationError, match="lr"):
        OP.params(model="tiny", data="pairs", steps=10)


@pytest.mark.parametrize("kw", [{"steps": None}, {"epochs": 1.0}])
def test_exactly_one_of_steps_and_epochs(params, invalid, kw):
    invalid(kw, match="exactly one of `steps` and `epochs`")
    assert params(steps=None, epochs=0.5).epochs == 0.5


def test_checkpoints_need_steps_and_include_the_last(params, invalid):
    invalid({"steps": None, "epochs": 1, "checkpoint_every": 5}, match="needs `steps`")
    assert OP.axes(params(steps=12, checkpoint_every=5)) == {"checkpoint": [5, 10, 12]}
    assert OP.axes(params()) == {}


@pytest.mark.parametrize("kw", [
    {"replay": {"data": "general", "ratio": 1.0}},
    {"replay": {"data": "general", "ratio": -0.1}},
    {"lora": {"r": 0}},
    {"lora": {"dropout": 1.0}},
    {"lora": {"target_modules": []}},
    {"warmup_steps": 11},
    {"precision": "fp8"},
])
def test_rejects(invalid, kw):
    invalid(kw)


def test_lora_defaults(params):
    lora = params(lora={}).lora
    assert (lora.r, lora.alpha, lora.dropout, lora.target_modules) == (8, 16.0, 0.05, None)


def test_cost_full_vs_lora(params, ctx):
    # pairs: 100 tokens per record, under max_length 512; 10 steps x 8 examples.
    d = 10 * 8 * 100
    assert OP.cost(params(), ctx).flops == pytest.approx(6 * 1_000_000 * d)
    lora = OP.cost(params(lora={"r": 8}), ctx)
    assert lora.flops == pytest.approx(4 * 1_000_000 * d) and "LoRA" in lora.note


def test_cost_caps_at_max_length_and_counts_replay(params, ctx):
    # corpus records are 1,000 tokens, capped at 128; 20% of 80 examples replay general
    # (50 records of 200 tokens, capped at 128 too).
    p = params(data="corpus", max_length=128, replay={"data": "general", "ratio": 0.2})
    assert OP.cost(p, ctx).tokens == pytest.approx(80 * 128)


def test_cost_by_epochs_adds_replay_on_top(params, ctx):
    # 1 epoch over 100 pair records + 25% replay = 125 examples; replay records 200 tokens.
    p = params(steps=None, epochs=1, replay={"data": "general", "ratio": 0.2})
    assert OP.cost(p, ctx).tokens == pytest.approx(100 * 100 + 25 * 200)


def test_cost_unknowns(params, blind):
    assert OP.cost(params(steps=None, epochs=1), blind).note == "data size unknown"
    by_steps = OP.cost(params(), blind)  # steps bound the work even without data sizes
    assert by_steps.flops == 0 and by_steps.tokens == 10 * 8 * 512
    assert by_steps.note == "model size unknown"
