"""What train.sft, train.dpo and train.orpo share when they run: TRL, driven by the spec's params.

Each op's `run` builds its dataset and its trainer, then hands over to `fit`:

    tok, lm = load(ctx, p)                       tokenizer (pad = EOS when it has none), a fresh model
    join(prompt, response)                       the response as trained: one space after the prompt
    chunks = replay_chunks(ctx, p, tok)          general text cut into examples of <= max_length tokens
    rows, n = mix_replay(rows, texts, ratio)     SFT: replay examples are rows of the dataset,
    ReplaySampler(...)                             placed so that every micro-batch has its share
    trainer.replay = ReplayStream(...)           DPO/ORPO: a next-token loss beside the preference loss
    args = trl_args(DPOConfig, p, ctx, beta=..)  every optimiser/precision knob explicit
    fit(trainer, p, ctx, tok, logp=...)          train, save, write history.parquet, record

Prompt and response are joined with one space, because preference data such as
BLiMP stores bare words ("can't help" + "herself") and the eval ops score them
with `separator: " "`: a response gets a leading space unless it has one or the
prompt ends in whitespace or is empty. The space goes on the response, not the
prompt, so byte-level BPE tokenizes the prompt exactly as it would alone.

Replay (general text in every micro-batch, `replay.ratio` of its examples) is in `_replay.py`.
Freezing (`freeze`: blocks and optionally embeddings get no updates) is applied to the fresh
model in `load`; the optimiser (`optimizer`: AdamW or APOLLO) and warmup (`warmup_steps` or
`warmup_ratio`) are TRL config knobs set in `trl_args`.

Outputs (the model artifact layout of runtime/context.py): `model/` (with LoRA the
adapters merged in, a plain transformers model), `tokenizer/`, `checkpoints/<step>/`
at the `checkpoint` axis, and `history.parquet`: one row per logged optimiser step
(every step) with TRL's metrics under stable names; see `history`.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import random
import shutil
import tempfile
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

from specc.datarefs import ref_source

from .._lm import check_vocab, documents, load_tokenizer
from ._finetune import FinetuneParams, finetune_axes

SCHEDULES = {"linear": "linear", "cosine": "cosine",
             # TRL's "constant" ignores warmup; with 0 warmup steps the two are the same
             "constant": "constant_with_warmup"}

# TRL's metric names -> history columns; anything else keeps its name with "/" -> "_".
COLUMNS = {"learning_rate": "lr", "logps/chosen": "logp_chosen", "logps/rejected": "logp_rejected",
           "rewards/chosen": "reward_chosen", "rewards/rejected": "reward_rejected",
           "rewards/margins": "reward_margin", "rewards/accuracies": "reward_accuracy"}


# --- model, tokenizer, data -----------------------------------------------------------

def check_device(p: FinetuneParams, ctx: Any) -> None:
    """Fail before loading anything when the precision cannot run on this device."""
    if p.precision == "fp16" and ctx.device != "cuda":
        raise ValueError(f"precision fp16 needs a GPU (mixed precision with loss scaling), but this "
                         f"task runs on {ctx.device}: use precision fp32 (or bf16) on CPU")


def load(ctx: Any, p: FinetuneParams) -> tuple[Any, Any]:
    """The tokenizer (pad = EOS when it has none) and a fresh, trainable copy of the model in
    fp32 whatever its stored dtype: bf16/fp16 are mixed precision (autocast) over fp32 master
    weights, as small fine-tuning updates (lr 1e-6) vanish when rounded to bf16 weights."""
    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
        ctx.record(pad_token="eos")
    lm = ctx.model(p.model, vocab_size=len(tok), dtype="float32")
    check_vocab(lm, tok, p.model)
    if p.freeze is not None:
        freeze(lm, p, ctx)
    ctx.parallel.settle(lm)  # N workers: DDP or FSDP, `auto` decided from the model's size
    ctx.record(device=str(ctx.device), precision=p.precision, dtype=str(next(lm.parameters()).dtype))
    return tok, lm


def freeze(lm: Any, p: FinetuneParams, ctx: Any) -> None:
    """Turn off the gradients of the blocks `p.freeze` names (and the embeddings if asked), and
    record how many weights that leaves trainable. (Not with LoRA: the params refuse it.)"""
    from ..probe._layers import anatomy, resolve_layers
    parts = anatomy(lm)
    blocks = resolve_layers(p.freeze.layers, parts.depth)
    for i in blocks:
        parts.blocks[i].requires_grad_(False)
    if p.freeze.embeddings:
        lm.get_input_embeddings().requires_grad_(False)
        positions = getattr(getattr(lm, "transformer", None), "wpe", None)  # GPT-2's learned positions
        if positions is not None:
            positions.requires_grad_(False)
    frozen = sum(t.numel() for t in lm.parameters() if not t.requires_grad)
    total = sum(t.numel() for t in lm.parameters())
    ctx.record(frozen={"blocks": blocks, "of_depth": parts.depth, "embeddings": p.freeze.embeddings,
                       "frozen_params": frozen, "trainable_params": total - frozen})


def records(ctx: Any, data: str) -> Any:
    """The records of `data` as a `datasets.Dataset`: a data source (or part), or the table of
    a stage (e.g. eval.generate's generations, for on-policy preference pairs)."""
    from datasets import Dataset
    if ref_source(data) in ctx.payload.data:
        return ctx.data(data)
    table = ctx.table(data)
    ctx.record(table_read={"stage": data, "rows": len(table)})
    return Dataset.from_pandas(table.reset_index(drop=True), preserve_index=False)


def column(ds: Any, name: str, data: str) -> list:
    if name not in ds.column_names:
        raise KeyError(f"data source {data!r} has no field {name!r} (it has {', '.join(ds.column_names)})")
    return ds[name]


def join(prompt: str, response: str) -> str:
    """The response as TRL appends it to the prompt: one space between them (see module doc)."""
    if prompt and response and not prompt[-1].isspace() and not response[0].isspace():
        return " " + response
    return response


def preference_rows(ctx: Any, p: Any) -> dict[str, list[str]]:
    """prompt / chosen / rejected columns from the fields `p.fields` names, responses joined."""
    ds, f = records(ctx, p.data), p.fields
    rows: dict[str, list[str]] = {"prompt": [], "chosen": [], "rejected": []}
    values = zip(*(column(ds, name, p.data) for name in (f.prompt, f.chosen, f.rejected)))
    for prompt, chosen, rejected in values:
        if prompt is None or chosen is None or rejected is None:
            continue  # a missing field cannot make a pair
        prompt = str(prompt)
        rows["prompt"].append(prompt)
        rows["chosen"].append(join(prompt, str(chosen)))
        rows["rejected"].append(join(prompt, str(rejected)))
    if not rows["prompt"]:
        raise ValueError(f"data source {p.data!r} has no record with {f.prompt}, {f.chosen} and {f.rejected} set")
    ctx.record(examples=len(rows["prompt"]), dropped_records=len(ds) - len(rows["prompt"]),
               join="prompt + ' ' + response (a leading space added when missing)")
    return rows


def text_chunks(ctx: Any, data: str, text_field: str, tok: Any, max_length: int) -> list[list[int]]:
    """Token ids of the next-token examples in `data`: a plain-text file is one text cut into
    pieces of `max_length` tokens; records are one example each, truncated to `max_length`."""
    texts = documents(ctx, data, text_field)
    if ctx.data_kind(data) == "text":
        ids = tok(texts[0], add_special_tokens=False, verbose=False)["input_ids"]
        chunks = [ids[i:i + max_length] for i in range(0, len(ids), max_length)]
    else:
        chunks = [tok(t, add_special_tokens=False, verbose=False)["input_ids"][:max_length] for t in texts]
    chunks = [c for c in chunks if len(c) >= 2]  # one token predicts nothing
    if not chunks:
        raise ValueError(f"data source {data!r} has no text of 2 or more tokens")
    return chunks


def replay_chunks(ctx: Any, p: FinetuneParams, tok: Any) -> list[list[int]]:
    return text_chunks(ctx, p.replay.data, p.replay.text_field, tok, p.max_length)


# --- LoRA, config, callbacks ----------------------------------------------------------

def lora_config(p: FinetuneParams) -> Any:
    """peft LoraConfig from `p.lora` (None without LoRA); None target_modules = "all-linear"."""
    if p.lora is None:
        return None
    from peft import LoraConfig
    targets = list(p.lora.target_modules) if p.lora.target_modules else "all-linear"
    return LoraConfig(r=p.lora.r, lora_alpha=p.lora.alpha, lora_dropout=p.lora.dropout,
                      target_modules=targets, task_type="CAUSAL_LM")


def seed_of(p: FinetuneParams, ctx: Any) -> int:
    return p.seed if p.seed is not None else ctx.seed


def trl_args(config_cls: type, p: FinetuneParams, ctx: Any, **method: Any) -> Any:
    """A TRL config with every knob set from the params, never left to TRL's GPU defaults
    (bf16 on, gradient checkpointing on, saving, reporting). `method` adds the method's own
    (beta, loss_type, completion_only_loss ...)."""
    seed = seed_of(p, ctx)
    batch, accum = device_batch(p, ctx)
    length = {"max_steps": p.steps} if p.steps is not None else {"num_train_epochs": p.epochs}
    knobs = dict(
        learning_rate=p.lr, lr_scheduler_type=SCHEDULES[p.lr_schedule],
        # transformers 5 reads a float in [0, 1) as a share of the steps (ceil), an int as steps
        warmup_steps=p.warmup_ratio if p.warmup_ratio is not None else p.warmup_steps,
        per_device_train_batch_size=batch, gradient_accumulation_steps=accum,
        max_length=p.max_length, weight_decay=p.weight_decay,
        max_grad_norm=p.max_grad_norm if p.max_grad_norm is not None else 0.0,  # 0 = no clipping
        bf16=p.precision == "bf16", fp16=p.precision == "fp16",
        **{checkpointing_arg(config_cls): p.gradient_checkpointing}, use_cpu=ctx.device != "cuda",
        seed=seed, data_seed=seed, **length, **parallel_knobs(p, ctx), **optimizer_knobs(p), **method)
    # `fit` saves checkpoints and the final model, so TRL should write nothing here (and
    # `fit` removes the folder if it did).
    scratch = Path(tempfile.gettempdir()) / f"specc-trl-{uuid.uuid4().hex}"
    args = config_cls(
        output_dir=str(scratch), save_strategy="no", eval_strategy="no",
        report_to="none", logging_strategy="steps", logging_steps=1, disable_tqdm=True,
        dataloader_num_workers=0, dataloader_pin_memory=ctx.device == "cuda", **knobs)
    # Read back from the config: the values TRL will use, after its own __post_init__.
    used = {k: _plain(getattr(args, k)) for k in dict.fromkeys([*knobs, "gradient_checkpointing", "optim"])}
    world = ctx.parallel.world_size
    ctx.record(trl_config=used, effective_batch=batch * accum * world, global_batch=batch * accum * world,
               per_device_batch=batch * accum, micro_batch=batch, seed=seed, **ctx.parallel.describe())
    return args


def optimizer_knobs(p: FinetuneParams) -> dict[str, Any]:
    """TrainingArguments of the optimiser: AdamW (torch's fused kernel, TRL's default, set
    explicitly) or APOLLO, whose projection settings travel as transformers' `optim_args`."""
    if p.optimizer == "adamw":
        return {"optim": "adamw_torch_fused"}
    from transformers.utils import is_apollo_torch_available
    if not is_apollo_torch_available():
        raise ImportError("optimizer apollo_adamw needs the apollo-torch package: pip install 'specc[apollo]'")
    a = p.apollo
    args = f"rank={a.rank},scale_type={a.scale_type},scale={a.scale},update_proj_gap={a.update_proj_gap},proj=random"
    return {"optim": "apollo_adamw", "optim_args": args,
            "optim_target_modules": list(a.target_modules) if a.target_modules else "all-linear"}


def device_batch(p: FinetuneParams, ctx: Any) -> tuple[int, int]:
    """(micro-batch, accumulation steps) of one device. The global batch is batch_size ×
    grad_accum at any world size: N workers take 1/N of it each (accelerate hands consecutive
    micro-batches of the one seeded order to the workers in turn, so together they see what
    one device would). After an out-of-memory retry ctx halves the micro-batch, and more
    accumulation keeps the global batch exact."""
    world = ctx.parallel.world_size
    rows = p.batch_size * p.grad_accum
    if rows % world:
        raise ValueError(f"stage {ctx.payload.stage}: the global batch of {rows} examples (batch_size × "
                         f"grad_accum) does not split over {world} workers: make it a multiple")
    per_device = rows // world
    batch = min(ctx.batch_size(p.batch_size), per_device)
    while per_device % batch:
        batch -= 1
    return batch, per_device // batch


def parallel_knobs(p: FinetuneParams, ctx: Any) -> dict[str, Any]:
    """TrainingArguments for N workers: the DDP backend, or accelerate's FSDP2 (full or hybrid
    sharding, one unit per transformer block). Nothing for one process."""
    dist = ctx.parallel
    if dist.world_size == 1:
        return {}
    if p.lora is not None and dist.sharding in ("full", "hybrid"):
        raise ValueError(f"stage {ctx.payload.stage}: LoRA with FSDP sharding is not supported (merging "
                         "sharded adapters on save): use resources.sharding: none; LoRA's trainable "
                         "state is small enough to replicate")
    knobs: dict[str, Any] = {"ddp_backend": "nccl" if ctx.device == "cuda" else "gloo",
                             "average_tokens_across_devices": True}
    if dist.sharding in ("full", "hybrid"):
        knobs["fsdp"] = f"{'full' if dist.sharding == 'full' else 'hybrid'}_shard auto_wrap"
        knobs["fsdp_config"] = {"version": 2, "reshard_after_forward": True,
                                "state_dict_type": "FULL_STATE_DICT"}
    return knobs


def checkpointing_arg(config_cls: type) -> str:
    """The config's name for gradient checkpointing. Recent transformers 5.x call it
    `activation_checkpointing` (setting it overrides TRL's default `gradient_checkpointing=True`,
    which then mirrors it); earlier 5.x releases (5.17 and before) only have `gradient_checkpointing`."""
    names = {f.name for f in dataclasses.fields(config_cls)}
    return "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"


def _plain(value: Any) -> Any:
    """Enum-valued TrainingArguments fields (lr_scheduler_type, optim) as their strings."""
    return getattr(value, "value", value)


def save_model(model: Any, folder: Path, merge: bool = False) -> None:
    """Save a plain transformers model. A PEFT model is merged first: in place when `merge`
    (the end of training), else on a copy, so training continues on the adapters."""
    from peft import PeftModel
    if isinstance(model, PeftModel):
        model = (model if merge else copy.deepcopy(model)).merge_and_unload()
    model.save_pretrained(str(folder))


def save_trained(trainer: Any, ctx: Any, folder: Path, merge: bool = False) -> None:
    """Save the model being trained as a plain transformers model. With FSDP every worker joins
    the gather (accelerate's full state dict) and rank 0 writes; with DDP rank 0 writes its
    replica; alone, `save_model`."""
    dist = ctx.parallel
    if dist.sharding in ("full", "hybrid") and dist.world_size > 1:
        from ._parallel import without_tied_copies
        state = trainer.accelerator.get_state_dict(trainer.model_wrapped)
        if dist.is_main:
            plain = trainer.accelerator.unwrap_model(trainer.model_wrapped)
            plain.save_pretrained(str(folder), state_dict=without_tied_copies(plain, state))
    elif dist.is_main:
        save_model(trainer.model, folder, merge=merge)


def checkpoint_callback(steps: list[int], ctx: Any, trainer: Any) -> Any:
    from transformers import TrainerCallback

    class SaveCheckpoints(TrainerCallback):
        """Save the model after the optimiser steps of the `checkpoint` axis."""

        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step in steps:
                save_trained(trainer, ctx, ctx.out / "checkpoints" / str(state.global_step))

    return SaveCheckpoints()


def history(log_history: list[dict[str, Any]], logp: str | None = None) -> Any:
    """One row per optimiser step (TRL logs every step here) from `state.log_history`:

    step, epoch; loss: the loss optimised at that step (replay term included), mean over its
    micro-batches; lr: the learning rate of that step's update; grad_norm (before clipping);
    then the method's metrics, averaged over the step's micro-batches and computed in their
    forward passes, i.e. under the weights *before* that step's update:
    logp_chosen / logp_rejected: log-likelihood of the chosen / rejected response (its tokens
    and the EOS TRL appends, given the prompt), mean over pairs; per response TRL sums the
    tokens in DPO and averages them in ORPO, which `logp` ("sum" | "mean") puts in a
    `logp_reduction` column; reward_chosen / reward_rejected (DPO: beta · log-ratio to the
    reference, ORPO: beta · logp_*), reward_margin, reward_accuracy; replay_loss (mean
    next-token loss of the step's replay examples); other TRL metrics with "/" -> "_"."""
    import pandas as pd
    rows = []
    for entry in log_history:
        if "loss" not in entry:  # the end-of-training summary, not a step
            continue
        rows.append({COLUMNS.get(k, k.replace("/", "_")): v for k, v in entry.items()})
    frame = pd.DataFrame(rows)
    if logp is not None:
        frame["logp_reduction"] = logp
    first = [c for c in ("step", "epoch", "loss", "lr", "grad_norm", "logp_chosen", "logp_rejected")
             if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def fit(trainer: Any, p: FinetuneParams, ctx: Any, tok: Any, logp: str | None = None) -> None:
    """Train, then write model/, tokenizer/, checkpoints/ and history.parquet under ctx.out and
    record how it went. `logp`: TRL's reduction of logps/* ("sum" | "mean"), for the history."""
    import trl
    from transformers import PrinterCallback
    trainer.remove_callback(PrinterCallback)  # history.parquet has every log; stdout needs none
    steps = finetune_axes(p).get("checkpoint", [])
    if steps:
        trainer.add_callback(checkpoint_callback(steps, ctx, trainer))
    model = trainer.model
    from ._monitor import StepMonitor, flops_per_token, trainer_callback
    flops = flops_per_token(model, p.max_length, trained_share=0.5 if p.lora is not None else 1.0)
    trainer.add_callback(trainer_callback(StepMonitor(ctx, p.steps, flops, str(ctx.device), p.precision),
                                          COLUMNS))
    if p.lora is not None:
        trainable = sum(t.numel() for t in model.parameters() if t.requires_grad)
        ctx.record(lora={**p.lora.model_dump(), "trainable_params": trainable})
    length = f"{p.steps} steps" if p.steps is not None else f"{p.epochs} epochs"
    ctx.log(f"training on {len(trainer.train_dataset)} examples for {length}")
    try:
        result = trainer.train()
    finally:
        shutil.rmtree(trainer.args.output_dir, ignore_errors=True)
    save_trained(trainer, ctx, ctx.out / "model", merge=True)
    if not ctx.parallel.is_main:
        return  # rank 0 writes the artifact
    tok.save_pretrained(str(ctx.out / "tokenizer"))
    table = history(trainer.state.log_history, logp)
    table.to_parquet(ctx.out / "history.parquet", index=False)
    replay = getattr(trainer, "replay", None)
    if replay is not None:
        ctx.record(replay_examples=replay.drawn, replay_pairs=replay.pairs,
                   replay_share=replay.drawn / max(replay.drawn + replay.pairs, 1))
    ctx.record(steps_done=trainer.state.global_step, train_loss=result.training_loss,
               train_seconds=result.metrics.get("train_runtime"), checkpoints=steps,
               trl_version=trl.__version__)
    if logp is not None:
        ctx.record(logp_reduction=logp)
