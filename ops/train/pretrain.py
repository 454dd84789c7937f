"""Pretrain a causal language model with next-token loss, optionally injecting data.

Trains `model` (a `models:` entry built from config, or a model-producing stage to
continue from) on `data`, cut into blocks of `block_size` tokens. With `inject`,
a fixed fraction of training blocks is drawn from a second source instead (e.g.
contrastive behaviour pairs): `inject.fraction: 0.05` means 5% of blocks, spread
evenly through training so that every checkpoint has seen its share.

Tokens per optimiser step = batch_size × grad_accum × block_size.

Checkpoints. With `checkpoint_every` (steps) or `checkpoint_every_tokens`, the
stage saves the model along the way and adds a `checkpoint` axis for downstream
stages: its values are step numbers, the final step always included. With
neither, only the final model is kept and no axis is added. Token intervals become
the first step at which at least k × `checkpoint_every_tokens` tokens have been
seen, so checkpoints never drift from their token targets.

Cost: 6·N·D (forward + backward), D = steps × tokens per step.

    pretrain:
      op: train.pretrain
      over: [model, seed]
      model: tiny
      tokenizer: tokenizer
      data: corpus.train
      steps: 300
      checkpoint_every: 100
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from .._common import Seed, TextField, Tokenizer, TrainPrecision, model_cost
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams
from ._optim import MaxGradNorm, WarmupSteps, checkpoint_schedule


class Inject(OpParams):
    data: DataRef = Field(description=(
        "Data source whose texts replace a fraction of training blocks, e.g. "
        "contrastive behaviour pairs formatted as text."))
    text_field: TextField = "text"
    fraction: float = Field(ge=0.0, lt=1.0, description=(
        "Share of training blocks drawn from `inject.data`, in [0, 1). 0 keeps the "
        "stage in a sweep (0, 0.03, 0.05, 0.1) as the vanilla control trained with "
        "the identical data order."))


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to train: a `models:` entry (built from config, random init) or a stage "
        "that produced a model, to continue pretraining from."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Training text: a data source or `source.split`.")
    text_field: TextField = "text"
    inject: Inject | None = Field(default=None, description=(
        "Mix a second source into a fraction of training blocks. None (default) = "
        "train on `data` only."))
    steps: int = Field(gt=0, description=(
        "Optimiser steps. Total training tokens = steps × batch_size × grad_accum × "
        "block_size; lower it in a smoke profile."))
    batch_size: int = Field(default=8, gt=0, description=(
        "Blocks per micro-batch on one device. Lower it (and raise grad_accum) when "
        "out of memory; the effective batch is batch_size × grad_accum."))
    grad_accum: int = Field(default=1, gt=0, description=(
        "Micro-batches accumulated per optimiser step. Raises the effective batch "
        "without more memory, at the cost of time."))
    block_size: int = Field(default=128, gt=0, description=(
        "Tokens per training block (sequence length). Must not exceed the model's "
        "context length (n_positions); checked at run time."))
    lr: float = Field(default=6e-4, gt=0.0, description=(
        "Peak learning rate (AdamW), reached after warmup. Tiny models tolerate "
        "1e-3; lower it for larger models or when the loss spikes."))
    lr_schedule: Literal["cosine", "linear", "constant"] = Field(default="cosine", description=(
        "Learning-rate shape after warmup: cosine or linear decay to 0 at the final "
        "step, or constant. Constant keeps intermediate checkpoints comparable with a "
        "longer run of the same model."))
    warmup_steps: WarmupSteps = Field(default=0, description=(
        "Steps of linear warmup from 0 to `lr`; must not exceed `steps`. A few percent "
        "of the run stabilises early training of larger models."))
    weight_decay: float = Field(default=0.1, ge=0.0, description=(
        "AdamW decoupled weight decay, applied to 2-D weights (matrices and "
        "embeddings) but not to biases or norms, as in nanoGPT. 0 disables it."))
    max_grad_norm: MaxGradNorm = 1.0
    precision: TrainPrecision = "fp32"
    checkpoint_every: int | None = Field(default=None, gt=0, description=(
        "Save a checkpoint every this many steps (and at the end), adding a "
        "`checkpoint` axis. Exclusive with checkpoint_every_tokens."))
    checkpoint_every_tokens: int | None = Field(default=None, gt=0, description=(
        "Save a checkpoint every this many training tokens (and at the end): compares "
        "runs with different batch shapes at equal data. Exclusive with "
        "checkpoint_every."))
    seed: Seed = None

    @field_validator("checkpoint_every_tokens")
    @classmethod
    def _one_interval(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("checkpoint_every") is not None:
            raise ValueError("set checkpoint_every (steps) or checkpoint_every_tokens, not both")
        return value

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.grad_accum * self.block_size

    @property
    def total_tokens(self) -> int:
        return self.steps * self.tokens_per_step


def checkpoint_steps(p: Params) -> list[int]:
    """Steps at which checkpoints are saved; [] when checkpointing is off."""
    if p.checkpoint_every is not None:
        return checkpoint_schedule(p.checkpoint_every, p.steps)
    if p.checkpoint_every_tokens is None:
        return []
    # Integer arithmetic: the first step whose cumulative tokens reach k × interval.
    n = p.total_tokens // p.checkpoint_every_tokens
    steps = {-(-k * p.checkpoint_every_tokens // p.tokens_per_step) for k in range(1, n + 1)}
    return sorted(steps | {p.steps})


def axes(p: Params) -> dict[str, list]:
    ckpts = checkpoint_steps(p)
    return {"checkpoint": ckpts} if ckpts else {}


def cost(p: Params, ctx: CostContext) -> Cost:
    return model_cost(ctx, p.model, float(p.total_tokens), 6,
                      note="6·N·D, D = steps × batch_size × grad_accum × block_size")


OP = Op(name="train.pretrain", version=1, params=Params, produces="model", doc=__doc__,
        cost=cost, axes=axes)
