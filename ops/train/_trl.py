"""What train.sft, train.dpo and train.orpo share when they run: TRL, driven by the spec's params.

Each op's `run` builds its dataset and its trainer, then hands over to `fit`:

    tok, lm = load(ctx, p)                       tokenizer (pad = EOS when it has none), a fresh model
    join(prompt, response)                       the response as trained: one space after the prompt
    chunks = replay_chunks(ctx, p, tok)          general text cut into examples of <= max_length tokens
    rows, n = mix_replay(rows, texts, ratio)     SFT: replay examples are rows of the dataset
    trainer.replay = ReplayStream(...)           DPO/ORPO: a next-token loss beside the preference loss
    args = trl_args(DPOConfig, p, ctx, beta=..)  every optimiser/precision knob explicit
    fit(trainer, p, ctx, tok, logp=...)          train, save, write history.parquet, record

Prompt and response are joined with one space, because preference data such as
BLiMP stores bare words ("can't help" + "herself") and the eval ops score them
with `separator: " "`: a response gets a leading space unless it has one or the
prompt ends in whitespace or is empty. The space goes on the response, not the
prompt, so byte-level BPE tokenizes the prompt exactly as it would alone.

Replay. SFT mixes replay examples into its dataset (plain text, all tokens trained),
`ratio` of all rows. TRL's preference losses only take (prompt, chosen, rejected)
records, so DPO/ORPO get replay as a second loss term instead (`ReplayLoss`): each
micro-batch of B pairs draws k replay examples, k accumulating to exactly
ratio / (1 - ratio) per pair, and its loss becomes L_pref + (k / B) * L_lm, where
L_pref is TRL's loss (a mean over pairs) and L_lm the mean next-token loss per
token of the replay examples. Each replay example then weighs as much as one
preference pair, and `ratio` keeps its meaning: the share of training examples that
are replay. The preference term is left unscaled, so `lr` means the same as
without replay.

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
    ctx.parallel.settle(lm)  # N workers: DDP or FSDP, `auto` decided from the model's size
    ctx.record(device=str(ctx.device), precision=p.precision, dtype=str(next(lm.parameters()).dtype))
    return tok, lm


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
    ds, f = ctx.data(p.data), p.fields
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


# --- replay ---------------------------------------------------------------------------

def replay_per_example(ratio: float) -> Fraction:
    """Replay examples per task example so that replay is `ratio` of all examples. Exact
    (Fraction of the decimal the spec wrote), so counts never drift by float rounding."""
    r = Fraction(str(ratio))
    return r / (1 - r)


def mix_replay(rows: dict[str, list], replay: list[dict[str, str]], ratio: float,
               seed: int) -> tuple[dict[str, list], int]:
    """SFT's mix: `rows` plus round(n · ratio / (1 - ratio)) of the `replay` rows (same columns),
    drawn without repeats while they last, in a seeded random order. Returns the mixed rows
    and the number of replay rows; the trainer shuffles rows every epoch."""
    n_task = len(next(iter(rows.values())))
    n = round(n_task * replay_per_example(ratio))
    if n == 0:
        return rows, 0
    rng = random.Random(seed)
    picked: list[dict[str, str]] = []
    while len(picked) < n:  # whole shuffled passes; repeats only when replay data runs short
        picked += rng.sample(replay, len(replay))
    mixed = {key: list(values) for key, values in rows.items()}
    for row in picked[:n]:
        for key, values in mixed.items():
            values.append(row[key])
    return mixed, n


class ReplayStream:
    """Replay examples for a preference trainer: after n pairs, floor(n · ratio / (1 - ratio))
    examples in all, drawn in a fresh seeded order on every pass over the chunks."""

    def __init__(self, chunks: list[list[int]], ratio: float, seed: int):
        self.chunks, self.per_pair = chunks, replay_per_example(ratio)
        self.rng, self.order = random.Random(seed), []
        self.pairs = self.drawn = 0

    def take(self, pairs: int) -> list[list[int]]:
        self.pairs += pairs
        due = math.floor(self.pairs * self.per_pair) - self.drawn
        out = []
        for _ in range(due):
            if not self.order:
                self.order = self.rng.sample(range(len(self.chunks)), len(self.chunks))
            out.append(self.chunks[self.order.pop()])
        self.drawn += due
        return out


def collate(chunks: list[list[int]], pad_id: int, device: Any) -> dict[str, Any]:
    """Right-padded next-token batch; padding is masked out of attention and loss."""
    import torch
    width = max(len(c) for c in chunks)
    ids = torch.full((len(chunks), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(chunks), width), dtype=torch.long)
    for i, c in enumerate(chunks):
        ids[i, :len(c)] = torch.tensor(c)
        mask[i, :len(c)] = 1
    labels = ids.masked_fill(mask == 0, -100)
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device), "labels": labels.to(device)}


class ReplayLoss:
    """Mixed in before DPOTrainer / ORPOTrainer by `with_replay`: adds the replay term of the
    module doc to every training micro-batch's loss and logs its mean as `replay_loss`."""

    replay: ReplayStream | None = None  # set by `use_replay` after construction

    @staticmethod
    def pairs_in(inputs: dict[str, Any]) -> int:
        """Preference pairs in a collated batch: each trainer lays batches out its own way."""
        raise NotImplementedError

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        result = super().compute_loss(model, inputs, return_outputs=return_outputs,
                                      num_items_in_batch=num_items_in_batch)
        if self.replay is None or not model.training:
            return result
        pairs = self.pairs_in(inputs)
        chunks = self.replay.take(pairs)
        if not chunks:  # less than one replay example due so far: it comes with a later batch
            return result
        batch = collate(chunks, self.processing_class.pad_token_id, self.accelerator.device)
        # A plain forward: TRL's fused LM-head patch passes calls without `fused_lm_head` through.
        lm_loss = model(**batch, use_cache=False).loss
        self.replay_losses.append(lm_loss.detach().item())
        extra = lm_loss * (len(chunks) / pairs)
        if return_outputs:
            return result[0] + extra, result[1]
        return result + extra

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if self.replay is not None and "loss" in logs:
            losses = self.replay_losses
            # NaN when no replay example fell in this logging window (a small ratio x batch)
            logs["replay_loss"] = sum(losses) / len(losses) if losses else float("nan")
            self.replay_losses = []
        super().log(logs, start_time)


def with_replay(trainer_cls: type, pairs_in: Any) -> type:
    """`trainer_cls` with the replay term; built on demand so importing an op never imports TRL."""
    return type(f"Replay{trainer_cls.__name__}", (ReplayLoss, trainer_cls),
                {"pairs_in": staticmethod(pairs_in)})


def use_replay(trainer: Any, ctx: Any, p: FinetuneParams, tok: Any) -> None:
    """Give a `with_replay` trainer its replay stream (nothing to do without replay)."""
    if p.replay is None or p.replay.ratio == 0:
        return
    trainer.replay = ReplayStream(replay_chunks(ctx, p, tok), p.replay.ratio, seed_of(p, ctx))
    trainer.replay_losses = []


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
        learning_rate=p.lr, lr_scheduler_type=SCHEDULES[p.lr_schedule], warmup_steps=p.warmup_steps,
        per_device_train_batch_size=batch, gradient_accumulation_steps=accum,
        max_length=p.max_length, weight_decay=p.weight_decay,
        max_grad_norm=p.max_grad_norm if p.max_grad_norm is not None else 0.0,  # 0 = no clipping
        bf16=p.precision == "bf16", fp16=p.precision == "fp16",
        **{checkpointing_arg(config_cls): p.gradient_checkpointing}, use_cpu=ctx.device != "cuda",
        seed=seed, data_seed=seed, **length, **parallel_knobs(p, ctx), **method)
    # `fit` saves checkpoints and the final model, so TRL should write nothing here (and
    # `fit` removes the folder if it did).
    scratch = Path(tempfile.gettempdir()) / f"specc-trl-{uuid.uuid4().hex}"
    args = config_cls(
        output_dir=str(scratch), save_strategy="no", eval_strategy="no",
        report_to="none", logging_strategy="steps", logging_steps=1, disable_tqdm=True,
        dataloader_num_workers=0, dataloader_pin_memory=ctx.device == "cuda", **knobs)
    # Read back from the config: the values TRL will use, after its own __post_init__.
    used = {k: _plain(getattr(args, k)) for k in [*knobs, "gradient_checkpointing", "optim"]}
    world = ctx.parallel.world_size
    ctx.record(trl_config=used, effective_batch=batch * accum * world, global_batch=batch * accum * world,
               per_device_batch=batch * accum, micro_batch=batch, seed=seed, **ctx.parallel.describe())
    return args


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
