"""Pretrain a causal language model with next-token loss, optionally injecting data.

Trains `model` (a `models:` entry built from config, or a model-producing stage to
continue from) on `data`, cut into blocks of `block_size` tokens, for `steps` optimiser
steps or `epochs` passes over the data. With `inject` (one source or a list), other
data is mixed in (e.g. contrastive behaviour pairs), in one of two modes:

* `insert_documents`: injected documents are inserted between corpus documents, so
  `fraction: 0.05` means 5% of the documents read (`fraction_of: documents`, default)
  or of the tokens (`fraction_of: tokens`), within one document of the declared share;
* `replace_blocks`: that share of training blocks is drawn from the inject source
  instead, spread evenly through training so that every checkpoint has seen its share;
  `fraction: 0` trains on exactly the same data order as the injected runs apart from
  the replaced blocks.

An injected document is one field of each record (`text_field`), or written from several
(`template`, e.g. a BBQ item in the lettered multiple-choice format with its answer).

Regulariser. `regulariser: {kind: isotropy, weight: w}` trains on next-token loss plus w ×
a geometric penalty of the final hidden states (_regularise.py): a negative control that
changes the representations' geometry without changing the data.

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
seen, so checkpoints never drift from their token targets. (With `epochs` the step
count is known only once the corpus is tokenized: no checkpoints.)

Data at any scale. Every source is tokenized once into shards in the store (documents
joined by EOS; a plain-text file is one document, or one per paragraph with
`text_documents: paragraphs`) and streamed from there during training: memory does not
grow with the corpus. Tasks with the same data and tokenizer share the shards. The
training blocks cycle over epochs in a seeded order (see _blocks.py, _shards.py,
_mixing.py).

What run writes: `model/` (the final weights, save_pretrained), `checkpoints/<step>/`
(one per value of the `checkpoint` axis), `tokenizer/` (the tokenizer trained with,
so downstream stages can leave `tokenizer:` unset), `history.parquet` (one row per
optimiser step: step, tokens, loss (next-token loss), lr, grad_norm, injected_blocks
(replace_blocks) or injected_tokens (insert_documents, cumulative), tokens_per_s, seconds,
and with `regulariser` the penalty) and
`checkpoints.json` (step, tokens and the injection realised up to each checkpoint: blocks
and their share, or injected tokens, their share of the tokens trained on, and the
mixed stream's realised document and token shares).
Every training flag (precision, batch, schedule, seed, device ...) is recorded in the
manifest. The optimiser is AdamW (betas 0.9, 0.95, as GPT-3 and nanoGPT); `seed` sets
a config model's initial weights, the block order and dropout.

Resume. Full training state (weights, AdamW, RNG, step) is saved in the task's resume
folder at every checkpoint (and every 10 minutes), next to the checkpoints saved so
far: a crashed or killed attempt continues from there, to the same weights as an
uninterrupted run (bit for bit on CPU in fp32; GPU kernels may differ in the last bits).

Cost: 6·N·D (forward + backward), D = steps × tokens per step (or epochs × the corpus).

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

from typing import Annotated, Literal, Union

from pydantic import Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator

from .._common import Seed, TextField, Tokenizer, TrainPrecision, model_cost
from .._op import ColumnOf, Cost, CostContext, DataRef, ModelRef, Op, OpParams
from ._optim import MaxGradNorm, WarmupSteps, checkpoint_schedule


class Inject(OpParams):
    data: DataRef = Field(description=(
        "Data source whose texts are injected, e.g. contrastive behaviour pairs "
        "formatted as text; one document per record."))
    text_field: TextField | None = Field(default=None, description=(
        "Record field holding each injected document (default \"text\"); exclusive with "
        "`template`. Ignored for plain-text files."))
    template: Annotated[str, ColumnOf(("data",), template=True)] | None = Field(
        default=None, min_length=1, description=(
            "Write each injected document from the record's fields instead of taking one "
            "field: a format string, e.g. \"{context}\\n{question}\\nA. {ans0}\\nB. {ans1}\\n"
            "C. {ans2}\\nAnswer: {label:letter}\" (`{field:letter}` renders a 0-based "
            "integer as A, B, C ...). Every {field} must be a field of `data`."))
    fraction: float = Field(ge=0.0, lt=1.0, description=(
        "Share injected, in [0, 1): of training blocks (replace_blocks) or of documents or "
        "tokens (insert_documents, see fraction_of). 0 keeps the stage in a sweep "
        "(0, 0.03, 0.05, 0.1) as the vanilla control trained with the identical data order."))
    mode: Literal["replace_blocks", "insert_documents"] = Field(description=(
        "insert_documents: injected documents go between corpus documents, so `fraction` is "
        "a share of the documents (or tokens) the model reads. replace_blocks: a share of "
        "training blocks is drawn from this source instead of the corpus."))
    fraction_of: Literal["documents", "tokens"] | None = Field(default=None, description=(
        "insert_documents only: whether `fraction` counts documents (default) or tokens."))

    @model_validator(mode="before")
    @classmethod
    def _default_field(cls, data):
        # "text" by default, but not beside a template: the compiler checks the field exists.
        if isinstance(data, dict) and data.get("template") is None and data.get("text_field") is None:
            data = {**data, "text_field": "text"}
        return data

    @field_validator("template")
    @classmethod
    def _template_fields(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        from ._record_text import check_record_template
        check_record_template(value)
        if info.data.get("text_field") is not None:
            raise ValueError("set text_field (one field is the document) or template (the "
                             "document is written from several fields), not both")
        return value

    @field_validator("fraction_of")
    @classmethod
    def _only_inserting(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("mode") == "replace_blocks":
            raise ValueError("fraction_of applies to insert_documents; replace_blocks counts blocks")
        return value


class Regulariser(OpParams):
    kind: Literal["isotropy"] = Field(description=(
        "isotropy: the mean cosine similarity between the final-layer representations of "
        "the micro-batch's tokens, which penalises the anisotropic geometry language "
        "models drift into."))
    weight: float = Field(gt=0.0, description=(
        "Multiplier of the penalty in the loss (the penalty lies in [-1, 1])."))


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to train: a `models:` entry (built from config, random init) or a stage "
        "that produced a model, to continue pretraining from."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Training text: a data source or `source.split`.")
    text_field: TextField = "text"
    text_documents: Literal["file", "paragraphs"] = Field(default="file", description=(
        "What a document of a plain-text source is: the whole file (default), or each run "
        "of non-empty lines (EOS between paragraphs; insert_documents needs documents)."))
    inject: Annotated[Union[Annotated[Inject, Tag("one_inject")], Annotated[list[Inject], Tag("inject_list")]],
                      Discriminator(lambda v: "inject_list" if isinstance(v, list) else "one_inject")] | None = Field(
        default=None, description=(
        "Mix one source (or several, a list, each with its own fraction) into training. "
        "None (default) = train on `data` only."))
    steps: int | None = Field(default=None, gt=0, description=(
        "Optimiser steps (or give `epochs`). Total training tokens = steps × batch_size × "
        "grad_accum × block_size; lower it in a smoke profile."))
    epochs: float | None = Field(default=None, gt=0, description=(
        "Passes over the training blocks, instead of `steps` (the step count is known once "
        "the corpus is tokenized, so checkpoints cannot be set in steps or tokens)."))
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
    regulariser: Regulariser | None = Field(default=None, description=(
        "Add weight × a geometric penalty of the final hidden states to the next-token "
        "loss (see _regularise.py); a negative control for data injection: it changes "
        "the representations' geometry, not the text. None (default): next-token loss only."))
    seed: Seed = None

    @field_validator("checkpoint_every_tokens")
    @classmethod
    def _one_interval(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("checkpoint_every") is not None:
            raise ValueError("set checkpoint_every (steps) or checkpoint_every_tokens, not both")
        return value

    @field_validator("epochs")
    @classmethod
    def _steps_or_epochs(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("steps") is not None:
            raise ValueError("set steps or epochs, not both")
        if value is None and info.data.get("steps") is None and "steps" in info.data:
            raise ValueError("set steps (optimiser steps) or epochs (passes over the data)")
        return value

    @field_validator("checkpoint_every", "checkpoint_every_tokens")
    @classmethod
    def _needs_steps(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("epochs") is not None:
            raise ValueError("with epochs the step count is known only at run time: "
                             "checkpoints need `steps`")
        return value

    @field_validator("inject")
    @classmethod
    def _one_mode(cls, value, info: ValidationInfo):
        injects = value if isinstance(value, list) else [value] if value is not None else []
        if len({i.mode for i in injects}) > 1:
            raise ValueError("every inject source of a stage uses the same mode")
        if len({i.fraction_of for i in injects}) > 1:
            raise ValueError("every inject source of a stage counts its fraction the same way")
        if sum(i.fraction for i in injects) >= 1:
            raise ValueError("the inject fractions add up to 1 or more; they must stay below 1")
        return value

    @property
    def injects(self) -> list[Inject]:
        return self.inject if isinstance(self.inject, list) else [self.inject] if self.inject else []

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.grad_accum * self.block_size

    @property
    def total_tokens(self) -> int | None:
        return self.steps * self.tokens_per_step if self.steps is not None else None


def checkpoint_steps(p: Params) -> list[int]:
    """Steps at which checkpoints are saved; [] when checkpointing is off."""
    if p.checkpoint_every is not None:
        return checkpoint_schedule(p.checkpoint_every, p.steps)
    if p.checkpoint_every_tokens is None or p.steps is None:
        return []
    # Integer arithmetic: the first step whose cumulative tokens reach k × interval.
    n = p.total_tokens // p.checkpoint_every_tokens
    steps = {-(-k * p.checkpoint_every_tokens // p.tokens_per_step) for k in range(1, n + 1)}
    return sorted(steps | {p.steps})


def axes(p: Params) -> dict[str, list]:
    ckpts = checkpoint_steps(p)
    return {"checkpoint": ckpts} if ckpts else {}


def cost(p: Params, ctx: CostContext) -> Cost:
    if p.steps is not None:
        return model_cost(ctx, p.model, float(p.total_tokens), 6,
                          note="6·N·D, D = steps × batch_size × grad_accum × block_size")
    stats = ctx.data_stats(p.data)
    if stats is None:
        return Cost(note="data size unknown: epochs cannot be turned into tokens before the run")
    extra = 1 / (1 - sum(i.fraction for i in p.injects if i.mode == "insert_documents"))
    return model_cost(ctx, p.model, p.epochs * stats.tokens * extra, 6,
                      note="6·N·D, D = epochs × the corpus's tokens (~4 bytes per token)")


def run(p: Params, ctx) -> None:
    """Pack the data, train (resuming if a previous attempt saved state), save the model,
    its checkpoints, its tokenizer and the history."""
    import json

    import pandas as pd

    from .._lm import check_vocab, load_tokenizer, max_positions
    from ._loop import AUTOCAST, Settings, check_precision, export_checkpoints, train
    from ._monitor import StepMonitor, flops_per_token
    from ._pretrain_data import training_data
    from ._shards import tokenizer_identity

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

    data = training_data(p, ctx, tok, tokenizer_identity(tok), seed)
    rows = p.batch_size * p.grad_accum
    steps = p.steps if p.steps is not None else data.steps_for(p.epochs, rows)
    batches = data.step_batches(rows)
    dist = ctx.parallel
    if rows % dist.world_size:
        raise ValueError(f"stage {ctx.payload.stage}: the global batch of {rows} blocks (batch_size × "
                         f"grad_accum) does not split over {dist.world_size} workers: make it a multiple")
    per_device = rows // dist.world_size

    s = Settings(steps=steps, rows_per_step=rows, micro_batch=min(ctx.batch_size(p.batch_size), per_device),
                 block_size=p.block_size, lr=p.lr, lr_schedule=p.lr_schedule,
                 warmup_steps=p.warmup_steps, weight_decay=p.weight_decay,
                 max_grad_norm=p.max_grad_norm, precision=p.precision, device=device, seed=seed,
                 checkpoints=tuple(checkpoint_steps(p)),
                 regulariser=(p.regulariser.kind, p.regulariser.weight) if p.regulariser else None)
    ctx.record(device=device, precision=p.precision, dtype=str(next(lm.parameters()).dtype),
               autocast=AUTOCAST.get(p.precision), seed=seed, steps=steps,
               batch_size=p.batch_size, grad_accum=p.grad_accum, micro_batch=s.micro_batch,
               global_batch=rows, per_device_batch=per_device,
               block_size=p.block_size, tokens_per_step=s.tokens_per_step,
               total_tokens=steps * s.tokens_per_step, optimizer="AdamW (fused)", lr=p.lr,
               lr_schedule=p.lr_schedule, warmup_steps=p.warmup_steps, betas=list(s.betas),
               eps=s.eps, weight_decay=p.weight_decay, weight_decay_on="2-D weights only",
               max_grad_norm=p.max_grad_norm, epochs=round(steps * rows / data.blocks_per_epoch, 3),
               inject_fractions=[i.fraction for i in p.injects],
               inject_templates=[i.template for i in p.injects if i.template is not None] or None,
               regulariser=p.regulariser.model_dump() if p.regulariser else None, **data.facts)

    state_dir = ctx.resume_folder()
    monitor = StepMonitor(ctx, steps, flops_per_token(lm, p.block_size), device, p.precision)
    history = train(lm, batches, s, state_dir, log=ctx.log, on_step=monitor.history_row, dist=dist)
    ctx.record(**dist.describe())  # world size, sharding (auto resolved by now)

    out = ctx.out
    dist.save_pretrained(lm, out / "model")  # FSDP: every worker joins the gather
    if not dist.is_main:
        return  # rank 0 writes the artifact
    tok.save_pretrained(str(out / "tokenizer"))
    export_checkpoints(state_dir, out, list(s.checkpoints))
    realised = data.realised(history, list(s.checkpoints), rows)  # insert mode: injected tokens
    pd.DataFrame(history).to_parquet(out / "history.parquet", index=False)
    (out / "checkpoints.json").write_text(json.dumps(realised, indent=1))
    last = history[-1]
    steady = history[1:] or history  # the first step pays for warm-up
    if "injected_blocks" in last:
        ctx.record(injected_blocks=int(last["injected_blocks"]),
                   injected_share=last["injected_blocks"] / (steps * rows))
    else:
        ctx.record(injected_tokens=int(last["injected_tokens"]),
                   injected_token_share=last["injected_tokens"] / last["tokens"])
    if "penalty" in last:  # the loss above is next-token loss; the penalty is beside it
        ctx.record(final_penalty=float(last["penalty"]))
    ctx.record(final_loss=float(last["loss"]), train_seconds=float(last["seconds"]),
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

OP = Op(name="train.pretrain", version=3, params=Params, produces="model", doc=__doc__,
        cost=cost, axes=axes, run=run, parallel=True)
