"""Pretrain a causal language model with next-token loss, optionally injecting data.

Trains `model` (a `models:` entry built from config, or a model-producing stage to
continue from) on `data`, cut into blocks of `block_size` tokens. With `inject`,
a fixed fraction of training blocks is drawn from a second source instead (e.g.
contrastive behaviour pairs): `inject.fraction: 0.05` means 5% of blocks, spread
evenly through training so that every checkpoint has seen its share.

Tokens per optimiser step = batch_size × grad_accum × block_size.

Several devices. With `resources: {gpus: N}` (or `workers: N` on CPU) the task trains on N
data-parallel workers (Ray Train; DDP, or FSDP when `resources.sharding` asks or the model
does not fit one device). The step's global batch stays batch_size × grad_accum blocks, the
same blocks in the same order as on one device; each worker takes 1/N of them, in
micro-batches of at most batch_size. batch_size × grad_accum must divide by N.

Checkpoints. With `checkpoint_every` (steps) or `checkpoint_every_tokens`, the
stage saves the model along the way and adds a `checkpoint` axis for downstream
stages: its values are step numbers, the final step always included. With
neither, only the final model is kept and no axis is added. Token intervals become
the first step at which at least k × `checkpoint_every_tokens` tokens have been
seen, so checkpoints never drift from their token targets.

Data. Texts are tokenized, joined with EOS into one stream (a plain-text file is one
text) and cut into blocks; the training blocks cycle over epochs in a seeded order.
Injected blocks are packed the same way and replace the training block at their
position, so `fraction: 0` trains on exactly the same data order as the injected
runs apart from the replaced blocks.

What run writes: `model/` (the final weights, save_pretrained), `checkpoints/<step>/`
(one per value of the `checkpoint` axis), `tokenizer/` (the tokenizer trained with,
so downstream stages can leave `tokenizer:` unset), `history.parquet` (one row per
optimiser step: step, tokens, loss, lr, grad_norm, injected_blocks, tokens_per_s,
seconds) and `checkpoints.json` (step, tokens and injected blocks of each checkpoint).
Every training flag (precision, batch, schedule, seed, device ...) is recorded in the
manifest. The optimiser is AdamW (betas 0.9, 0.95, as GPT-3 and nanoGPT); `seed` sets
a config model's initial weights, the block order and dropout.

Resume. Full training state (weights, AdamW, RNG, step) is saved in the task's resume
folder at every checkpoint (and every 10 minutes), next to the checkpoints saved so
far: a crashed or killed attempt continues from there, to the same weights as an
uninterrupted run (bit for bit on CPU in fp32; GPU kernels may differ in the last bits).

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


def run(p: Params, ctx) -> None:
    """Pack the data, train (resuming if a previous attempt saved state), save the model,
    its checkpoints, its tokenizer and the history."""
    import json

    import pandas as pd

    from .._lm import check_vocab, documents, load_tokenizer, max_positions
    from ._blocks import BlockOrder, StepBatches, pack
    from ._loop import AUTOCAST, Settings, check_precision, export_checkpoints, train
    from ._monitor import StepMonitor, flops_per_token

    device = str(ctx.device)
    check_precision(p.precision, device)  # before any work
    seed = p.seed if p.seed is not None else ctx.seed
    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = _fresh_model(ctx, p.model, tok, seed)
    check_vocab(lm, tok, p.model)
    limit = max_positions(lm)
    if limit is not None and p.block_size > limit:
        raise ValueError(f"block_size {p.block_size} exceeds the context length of model "
                         f"{p.model!r} ({limit} positions): lower block_size")

    train_blocks = pack(tok, documents(ctx, p.data, p.text_field), p.block_size)
    fraction = p.inject.fraction if p.inject else 0.0
    inject_blocks = (pack(tok, documents(ctx, p.inject.data, p.inject.text_field), p.block_size)
                     if p.inject else train_blocks[:0])
    order = BlockOrder(len(train_blocks), len(inject_blocks), fraction, seed)
    rows = p.batch_size * p.grad_accum
    batches = StepBatches(train_blocks, inject_blocks, order, rows)
    dist = ctx.parallel
    if rows % dist.world_size:
        raise ValueError(f"stage {ctx.payload.stage}: the global batch of {rows} blocks (batch_size × "
                         f"grad_accum) does not split over {dist.world_size} workers: make it a multiple")
    per_device = rows // dist.world_size

    s = Settings(steps=p.steps, rows_per_step=rows, micro_batch=min(ctx.batch_size(p.batch_size), per_device),
                 block_size=p.block_size, lr=p.lr, lr_schedule=p.lr_schedule,
                 warmup_steps=p.warmup_steps, weight_decay=p.weight_decay,
                 max_grad_norm=p.max_grad_norm, precision=p.precision, device=device, seed=seed,
                 checkpoints=tuple(checkpoint_steps(p)))
    ctx.record(device=device, precision=p.precision, dtype=str(next(lm.parameters()).dtype),
               autocast=AUTOCAST.get(p.precision), seed=seed, steps=p.steps,
               batch_size=p.batch_size, grad_accum=p.grad_accum, micro_batch=s.micro_batch,
               global_batch=rows, per_device_batch=per_device,
               block_size=p.block_size, tokens_per_step=s.tokens_per_step,
               total_tokens=p.total_tokens, optimizer="AdamW (fused)", lr=p.lr,
               lr_schedule=p.lr_schedule, warmup_steps=p.warmup_steps, betas=list(s.betas),
               eps=s.eps, weight_decay=p.weight_decay, weight_decay_on="2-D weights only",
               max_grad_norm=p.max_grad_norm, train_blocks=len(train_blocks),
               epochs=round(p.steps * rows / len(train_blocks), 3),
               inject_fraction=fraction, inject_blocks_available=len(inject_blocks))

    state_dir = ctx.resume_folder()
    monitor = StepMonitor(ctx, p.steps, flops_per_token(lm, p.block_size), device, p.precision)
    history = train(lm, batches, s, state_dir, log=ctx.log, on_step=monitor.history_row, dist=dist)
    ctx.record(**dist.describe())  # world size, sharding (auto resolved by now)

    out = ctx.out
    dist.save_pretrained(lm, out / "model")  # FSDP: every worker joins the gather
    if not dist.is_main:
        return  # rank 0 writes the artifact
    tok.save_pretrained(str(out / "tokenizer"))
    export_checkpoints(state_dir, out, list(s.checkpoints))
    pd.DataFrame(history).to_parquet(out / "history.parquet", index=False)
    at = {row["step"]: row for row in history}
    (out / "checkpoints.json").write_text(json.dumps(
        [{"step": c, "tokens": at[c]["tokens"], "injected_blocks": at[c]["injected_blocks"]}
         for c in s.checkpoints], indent=1))
    last = history[-1]
    steady = history[1:] or history  # the first step pays for warm-up
    ctx.record(injected_blocks=int(last["injected_blocks"]),
               injected_share=last["injected_blocks"] / (p.steps * rows),
               final_loss=float(last["loss"]), train_seconds=float(last["seconds"]),
               # steady tokens / their seconds (all workers together: a global step's tokens)
               tokens_per_s=len(steady) / sum(1 / row["tokens_per_s"] for row in steady),
               checkpoints=list(s.checkpoints))


def _fresh_model(ctx, name: str, tok, seed: int):
    """The model to train, in fp32 (the master weights; autocast does the rest). A
    `models:` config entry is initialised with the stage's seed: ctx.model seeds with the
    task's, so a stage that pins its own `seed:` re-initialises with that one."""
    import torch
    import transformers
    lm = ctx.model(name, vocab_size=len(tok))
    if getattr(ctx.payload.models.get(name), "kind", None) == "config":
        if seed != ctx.seed:
            torch.manual_seed(seed)  # as runtime.models.build_model does with the task's seed
            lm = transformers.AutoModelForCausalLM.from_config(lm.config).to(ctx.device)
        # A config's BOS/EOS ids are GPT-2's (50256): point them at this tokenizer's, so
        # the saved model generates with tokens it has. (No pad id: training has no padding.)
        for cfg in (lm.config, lm.generation_config):
            cfg.bos_token_id, cfg.eos_token_id = tok.bos_token_id, tok.eos_token_id
    return lm.to(torch.float32)

OP = Op(name="train.pretrain", version=1, params=Params, produces="model", doc=__doc__,
        cost=cost, axes=axes, run=run, parallel=True)
