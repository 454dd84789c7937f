from __future__ import annotations

import pytest

from specc.ops import OPS

OP = OPS.get("train.pretrain")


def test_defaults(params):
    p = params()
    assert (p.batch_size, p.grad_accum, p.block_size) == (8, 1, 128)
    assert p.lr_schedule == "cosine" and p.precision == "fp32" and p.seed is None
    assert p.inject is None and p.tokenizer is None
    assert p.tokens_per_step == 8 * 128 and p.total_tokens == 300 * 8 * 128
    assert OP.produces == "model"


def test_inject_fraction_in_zero_one(params, invalid):
    assert params(inject={"data": "pairs", "fraction": 0.0, "mode": "replace_blocks"}).inject.fraction == 0.0
    assert params(inject={"data": "pairs", "fraction": 0.05, "mode": "replace_blocks"}).inject.data == "pairs"
    for bad in (1.0, 1.5, -0.1):
        invalid({"inject": {"data": "pairs", "fraction": bad, "mode": "replace_blocks"}}, match="fraction")


@pytest.mark.parametrize("kw,where", [
    ({"checkpoint_every": 10, "checkpoint_every_tokens": 1000}, "checkpoint_every_tokens"),
    ({"warmup_steps": 301}, "warmup_steps"),
    ({"lr_schedule": "step"}, "lr_schedule"),
    ({"precision": "int8"}, "precision"),
    ({"steps": 0}, "steps"),
    ({"lr": 0}, "lr"),
    ({"max_grad_norm": 0}, "max_grad_norm"),
    ({"checkpoint_every": 0}, "checkpoint_every"),
    ({"block": 64}, "block"),
])
def test_rejects_at_the_offending_field(invalid, kw, where):
    invalid(kw, where=where)


def test_no_checkpointing_adds_no_axis(params):
    assert OP.axes(params()) == {}


def test_checkpoint_every_steps_includes_final_step(params):
    assert OP.axes(params(checkpoint_every=100)) == {"checkpoint": [100, 200, 300]}
    assert OP.axes(params(steps=250, checkpoint_every=100)) == {"checkpoint": [100, 200, 250]}
    # A smoke profile shortening steps keeps just the final checkpoint.
    assert OP.axes(params(steps=20, checkpoint_every=100)) == {"checkpoint": [20]}


def test_checkpoint_every_tokens_becomes_first_step_reaching_each_target(params):
    # 3 x 1 x 100 = 300 tokens per step; targets 1000, 2000, 3000 -> steps 4, 7, 10.
    p = params(steps=10, batch_size=3, block_size=100, checkpoint_every_tokens=1000)
    assert OP.axes(p) == {"checkpoint": [4, 7, 10]}
    # Intervals shorter than a step checkpoint every step, without duplicates.
    p = params(steps=4, batch_size=3, block_size=100, checkpoint_every_tokens=100)
    assert OP.axes(p) == {"checkpoint": [1, 2, 3, 4]}


def test_cost_is_6nd(params, ctx, blind):
    p = params(steps=100, batch_size=4, grad_accum=2, block_size=64)
    d = 100 * 4 * 2 * 64
    cost = OP.cost(p, ctx)
    assert cost.tokens == d and cost.flops == 6 * 1_000_000 * d
    unknown = OP.cost(p, blind)
    assert unknown.flops == 0 and unknown.note == "model size unknown"
