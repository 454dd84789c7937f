"""What SFT, DPO and ORPO share: the params of a TRL fine-tuning run and its cost.

`FinetuneParams` holds every knob the three trainers have in common, and
`PreferenceParams` what DPO and ORPO add to it (chosen/rejected records); each op
adds only its own (the field mapping of SFT data, `beta`, the reference model). Every
TRL flag that differs between CPU and GPU (precision, gradient checkpointing) is a
param with an explicit default here, never left to TRL: TRL defaults to bf16 and
gradient checkpointing, which fail or crawl on CPU.

Cost per processed token: 6·N with full fine-tuning; ≈4·N with LoRA (forward 2N +
activation gradients 2N; frozen weights get no weight gradients, the adapters are
negligible). Preference trainers process chosen and rejected sequences (2 per
example); DPO also runs a reference forward pass, +2·N_ref per token.

How the three run (TRL configs, the one-space join, replay, LoRA merging, checkpoints,
history.parquet) is in `_trl.py`.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .._common import (DATA_COLUMN, UNKNOWN_DATA, UNKNOWN_MODEL, Layers, Seed, TextField, Tokenizer,
                       TrainPrecision, differs_from, sequence_tokens)
from .._op import Cost, CostContext, DataRef, ModelRef, OpParams, TableOrDataRef
from ._optim import MaxGradNorm, WarmupSteps, checkpoint_schedule


class Replay(OpParams):
    data: DataRef = Field(description=(
        "General text replayed during fine-tuning (e.g. the pretraining corpus), to "
        "limit forgetting; trained with the plain next-token loss."))
    text_field: TextField = "text"
    ratio: float = Field(ge=0.0, lt=1.0, description=(
        "Share of training examples drawn from `replay.data`, in [0, 1). 0 keeps the "
        "stage in a replay sweep as the no-replay control."))


class Lora(OpParams):
    r: int = Field(default=8, gt=0, description=(
        "Rank of the low-rank update. Higher = more capacity and memory; 8-64 is usual."))
    alpha: float = Field(default=16.0, gt=0.0, description=(
        "LoRA scaling numerator: updates are scaled by alpha / r. Keep alpha/r fixed "
        "when sweeping r so the learning rate keeps its meaning."))
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0, description=(
        "Dropout on the adapter input. 0 for short runs; 0.05-0.1 against overfitting."))
    target_modules: list[str] | None = Field(default=None, min_length=1, description=(
        "Module names to adapt, e.g. [c_attn, c_proj] for GPT-2. None (default) = every "
        "linear layer except the output head (PEFT's \"all-linear\")."))


class Freeze(OpParams):
    layers: Annotated[Layers, Field(description=(
        "Blocks whose weights stay as they are: indices, negative indices, fractions of depth "
        "or slices (\"0:1/2\" = the lower half, the layers that build context). The other "
        "blocks, the final norm and the output head train."))]
    embeddings: bool = Field(default=False, description=(
        "Also freeze the token (and position) embeddings. With tied input/output embeddings "
        "this freezes the output head too."))


class Apollo(OpParams):
    """APOLLO (Zhu et al. 2024): AdamW-like updates whose moments live in a random low-rank
    projection of each weight matrix's gradient, scaled per channel; SGD-like memory."""

    rank: int = Field(default=128, gt=0, description=(
        "Rank of the gradient projection (the paper's 256 for 7B, 128 for ~1B; 1 with "
        "scale_type tensor is APOLLO-Mini). Capped at each matrix's smaller side."))
    scale_type: Literal["channel", "tensor"] = Field(default="channel", description=(
        "Gradient scaling factor per output channel (APOLLO) or one per matrix (APOLLO-Mini)."))
    scale: float = Field(default=1.0, gt=0.0, description=(
        "Multiplier on the scaled update (the paper uses sqrt(128 / rank) for APOLLO-Mini)."))
    update_proj_gap: int = Field(default=200, gt=0, description=(
        "Steps between redraws of the random projection."))
    target_modules: list[str] | None = Field(default=None, min_length=1, description=(
        "Module names (or a regex) whose weight matrices get APOLLO; the rest get plain AdamW. "
        "None (default) = every nn.Linear (transformers' \"all-linear\"). GPT-2's Conv1D "
        "layers are not nn.Linear: use a Llama- or OPT-style model."))


class PreferenceFields(OpParams):
    """Field names of a preference record (DPO and ORPO)."""

    prompt: Annotated[str, DATA_COLUMN] = Field(default="prompt", min_length=1, description=(
        "Field holding the prompt; its tokens condition both responses but are not "
        "trained on."))
    # validate_default: a prompt renamed to "chosen" must clash with the default chosen.
    chosen: Annotated[str, DATA_COLUMN, differs_from("prompt")] = Field(
        default="chosen", min_length=1, validate_default=True,
        description="Field holding the preferred response.")
    rejected: Annotated[str, DATA_COLUMN, differs_from("prompt", "chosen")] = Field(
        default="rejected", min_length=1, validate_default=True,
        description="Field holding the dispreferred response.")


class FinetuneParams(OpParams):
    # Sequences a trainer processes per training example (chosen + rejected = 2).
    SEQUENCES: ClassVar[int] = 1

    model: ModelRef = Field(description=(
        "Model to fine-tune: a `models:` entry or a stage that produced a model (e.g. "
        "pretraining, or SFT before DPO)."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Fine-tuning data: a data source or `source.split`.")
    replay: Replay | None = Field(default=None, description=(
        "Mix general text into training. None (default) = fine-tuning data only."))
    lora: Lora | None = Field(default=None, description=(
        "Train LoRA adapters (peft) instead of all weights. None (default) = full "
        "fine-tuning. The produced model has the adapters merged in."))
    lr: float = Field(gt=0.0, description=(
        "Peak learning rate. Required: good values differ by orders of magnitude "
        "between methods (full SFT ~1e-5, DPO ~5e-7, LoRA ~1e-4)."))
    lr_schedule: Literal["linear", "cosine", "constant"] = Field(default="linear", description=(
        "Decay after warmup (to 0 at the last step), or constant. linear is TRL's default."))
    steps: int | None = Field(default=None, gt=0, description=(
        "Optimiser steps. Set exactly one of steps and epochs; steps make runs with "
        "different data sizes comparable and allow checkpoint_every."))
    epochs: float | None = Field(default=None, gt=0.0, description=(
        "Passes over `data` (fractions allowed). Set exactly one of steps and epochs."))
    warmup_steps: WarmupSteps = Field(default=0, description=(
        "Steps of linear warmup from 0 to `lr`; at most `steps` when steps are set. Set "
        "this or warmup_ratio, not both."))
    warmup_ratio: float | None = Field(default=None, ge=0.0, lt=1.0, description=(
        "Warmup as a share of all optimiser steps (0.1 = the first 10%), rounded up to whole "
        "steps; handy with `epochs`, where the step count depends on the data size."))
    batch_size: int = Field(default=8, gt=0, description=(
        "Examples per micro-batch on one device; the effective batch is "
        "batch_size × grad_accum."))
    grad_accum: int = Field(default=1, gt=0, description=(
        "Micro-batches accumulated per optimiser step: a bigger effective batch "
        "without more memory."))
    max_length: int = Field(default=512, gt=0, description=(
        "Truncate each training sequence (prompt + response) to this many tokens."))
    weight_decay: float = Field(default=0.0, ge=0.0, description=(
        "AdamW weight decay (TRL's default 0). Rarely matters for short fine-tunes."))
    optimizer: Literal["adamw", "apollo_adamw"] = Field(default="adamw", description=(
        "adamw (torch's fused AdamW, TRL's default) or apollo_adamw (APOLLO through "
        "transformers; needs the `apollo` extra: pip install 'specc[apollo]')."))
    apollo: Apollo = Field(default_factory=Apollo, description=(
        "APOLLO's settings; used only with optimizer: apollo_adamw."))
    freeze: Freeze | None = Field(default=None, description=(
        "Keep some blocks (and optionally the embeddings) fixed: e.g. the lower, context-"
        "building layers. None (default) trains every weight (or every adapter with LoRA)."))
    max_grad_norm: MaxGradNorm = 1.0
    precision: TrainPrecision = "fp32"
    gradient_checkpointing: bool = Field(default=False, description=(
        "Recompute activations in the backward pass: ~30% slower, much less memory. "
        "Explicitly off by default because TRL turns it on, which breaks small CPU runs."))
    checkpoint_every: int | None = Field(default=None, gt=0, description=(
        "Save the model every this many steps (and at the end), adding a `checkpoint` "
        "axis, e.g. to monitor the likelihood of preferred responses during preference "
        "training with eval.logprob_pairs. Needs `steps`."))
    seed: Seed = None

    @field_validator("checkpoint_every")
    @classmethod
    def _needs_steps(cls, value: int | None, info: ValidationInfo) -> int | None:
        # "steps" is missing from info.data when it failed its own validation.
        if value is not None and "steps" in info.data and info.data["steps"] is None:
            raise ValueError("checkpoint_every needs `steps`: with `epochs` the step count "
                             "is unknown until the data is tokenized")
        return value

    @model_validator(mode="after")
    def _one_length(self) -> "FinetuneParams":
        if (self.steps is None) == (self.epochs is None):
            raise ValueError("set exactly one of `steps` and `epochs`")
        if self.warmup_ratio is not None and self.warmup_steps:
            raise ValueError("set warmup_steps or warmup_ratio, not both")
        if self.optimizer == "apollo_adamw" and self.lora is not None:
            raise ValueError("optimizer apollo_adamw with LoRA: APOLLO projects the gradients of full "
                             "weight matrices, LoRA trains small adapters; use adamw with LoRA")
        if self.freeze is not None and self.lora is not None:
            raise ValueError("freeze with LoRA: LoRA already freezes every base weight; choose what "
                             "adapts with lora.target_modules instead")
        return self

    def reference_model(self) -> str | None:
        """Model run as a frozen reference (forward only), if the method has one."""
        return None


class PreferenceParams(FinetuneParams):
    """DPO and ORPO: trained on records of a prompt with a chosen and a rejected response."""

    SEQUENCES = 2

    data: TableOrDataRef = Field(description=(
        "Preference records: a data source or `source.split`, or a table stage, e.g. an "
        "eval.generate stage whose `text` (the model's own continuation) is the rejected "
        "response: on-policy preference data."))

    fields: PreferenceFields = Field(default_factory=PreferenceFields, description=(
        "Which record fields hold the prompt, the chosen and the rejected response."))


def finetune_axes(p: FinetuneParams) -> dict[str, list]:
    if p.checkpoint_every is None or p.steps is None:
        return {}
    return {"checkpoint": checkpoint_schedule(p.checkpoint_every, p.steps)}


def _records(ctx: CostContext, data: str, cap: int) -> tuple[int, float] | None:
    """(records, tokens per sequence) of `data`; for a source of unknown size (a hub dataset)
    read with a limit (`curated[sample:100]`), the limit's records at full length `cap`."""
    sized = sequence_tokens(ctx, data, cap=cap)
    if sized is None:
        from specc.datarefs import parse_data_ref
        parsed = parse_data_ref(data)
        if parsed is not None and parsed.limit is not None:
            return parsed.limit, float(cap)
    return sized


def finetune_cost(p: FinetuneParams, ctx: CostContext) -> Cost:
    """k·N·D over every sequence trained on, plus the reference model's forward passes."""
    ratio = p.replay.ratio if p.replay else 0.0
    task = _records(ctx, p.data, p.max_length)
    replay = sequence_tokens(ctx, p.replay.data, cap=p.max_length) if p.replay else None
    if p.steps is not None:
        examples = float(p.steps * p.batch_size * p.grad_accum)
    elif task is not None:
        examples = p.epochs * task[0] / (1.0 - ratio)  # replay examples come on top
    else:
        return Cost(note=UNKNOWN_DATA)
    # Unknown sizes fall back to full-length sequences: an upper bound.
    task_len = task[1] if task else float(p.max_length)
    replay_len = replay[1] if replay else float(p.max_length)
    task_tokens = examples * (1.0 - ratio) * p.SEQUENCES * task_len
    tokens = task_tokens + examples * ratio * replay_len

    n_params = ctx.model_params(p.model)
    if n_params is None:
        return Cost(tokens=tokens, note=UNKNOWN_MODEL)
    k, how = (4.0, "≈4·N·D with LoRA: no weight gradients") if p.lora else (6.0, "6·N·D")
    flops, note = k * n_params * tokens, how
    ref = p.reference_model()
    if ref is not None:
        n_ref = ctx.model_params(ref)
        if n_ref is None:
            note += "; reference model size unknown, its forward passes not counted"
        else:
            flops += 2.0 * n_ref * task_tokens
            note += " + 2·N_ref·D reference forward"
    if p.SEQUENCES > 1:
        note += f"; {p.SEQUENCES} sequences (chosen, rejected) per example"
    return Cost(flops=flops, tokens=tokens, note=note)
