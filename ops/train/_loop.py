"""The training loop of train.pretrain (nanoGPT style), and the state it resumes from.

    history = train(model, batches, settings, state_dir)

One optimiser step: set the learning rate for this step, run the step's blocks in
micro-batches (gradients accumulate, each micro-batch's loss weighted by its share of
the step's blocks), clip the global gradient norm, step AdamW, append a history row.
`batches(step)` gives the step's blocks; which blocks those are depends only on the
step (see _blocks.py), so the data position of a run is its step count.

Resume. At every checkpoint step (and at least every SAVE_STATE_EVERY_S seconds) the
loop writes `state_dir/state.pt`: model and optimiser state, the GradScaler, the torch
RNG states (dropout), the step and the history so far. Checkpoint models go to
`state_dir/checkpoints/<step>/` before the state that counts them. A new attempt finds
both and continues where the state left off; on CPU in fp32 the final weights equal
those of an uninterrupted run bit for bit.
"""
from __future__ import annotations

import contextlib
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

# Save the resume state at least this often even between checkpoints: a run without
# checkpoints loses at most this much work to a crash. Saving costs a model + optimiser write.
SAVE_STATE_EVERY_S = 600.0

# For tests only: raise after this optimiser step (1-based), as if the worker died there.
CRASH_ENV = "SPECC_TEST_PRETRAIN_CRASH_AT_STEP"

AUTOCAST = {"bf16": "bfloat16", "fp16": "float16"}  # fp32: no autocast


@dataclass(frozen=True)
class Settings:
    """Every flag that changes the numbers; `run` records them all."""

    steps: int
    rows_per_step: int          # blocks per optimiser step: batch_size × grad_accum
    micro_batch: int            # blocks per forward/backward pass (the OOM back-off shrinks it)
    block_size: int
    lr: float
    lr_schedule: str            # cosine | linear | constant
    warmup_steps: int
    weight_decay: float
    max_grad_norm: float | None
    precision: str              # fp32 | bf16 | fp16
    device: str                 # cpu | cuda
    seed: int
    checkpoints: tuple[int, ...] = ()
    regulariser: tuple[str, float] | None = None   # (kind, weight): see _regularise.py
    betas: tuple[float, float] = (0.9, 0.95)   # GPT-3 / nanoGPT pretraining betas
    eps: float = 1e-8

    @property
    def tokens_per_step(self) -> int:
        return self.rows_per_step * self.block_size


def check_precision(precision: str, device: str) -> None:
    if precision == "fp16" and device != "cuda":
        raise ValueError("precision fp16 needs a GPU (loss scaling with a CUDA GradScaler); "
                         "use fp32 or bf16 on CPU")


def lr_factor(step: int, s: Settings) -> float:
    """Multiplier of the peak lr at 0-based optimiser step `step`, as transformers'
    get_scheduler: linear warmup from 0, then cosine or linear decay towards 0 at `steps`."""
    if step < s.warmup_steps:
        return step / s.warmup_steps
    if s.lr_schedule == "constant":
        return 1.0
    progress = (step - s.warmup_steps) / max(1, s.steps - s.warmup_steps)
    if s.lr_schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return max(0.0, 1.0 - progress)


def make_optimizer(model: Any, s: Settings, fused: bool = True):
    """AdamW with decoupled weight decay on 2-D weights (matrices, embeddings) only:
    decaying biases and norm gains towards 0 only hurts (nanoGPT, GPT-2). `fused` is off for
    FSDP's sharded (DTensor) parameters, which take the for-each implementation."""
    import torch
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": s.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    # fused: one kernel for all parameters, on CPU as on CUDA (what Trainer uses too).
    return torch.optim.AdamW(groups, lr=s.lr, betas=s.betas, eps=s.eps, fused=fused)


def train(model: Any, batches: Callable[[int], tuple[Any, int]], s: Settings,
          state_dir: Path | None = None, log: Callable[[str], None] = lambda _m: None,
          on_step: Callable[[dict], None] | None = None, dist: Any = None) -> list[dict]:
    """Train `model` in place for `s.steps` optimiser steps; the history, one row per step.

    `batches(step)` -> (LongTensor [rows_per_step, block_size], injected blocks up to and
    including this step): the step's global batch. `state_dir`: where resume state and
    checkpoints live (None: no saving at all, as in the benchmark). `on_step(row)` hears each
    step's history row (progress and TensorBoard metrics, see _monitor.py). `dist`: this
    process's part in a multi-worker task (_parallel.py; None: alone). Save the trained model
    with `dist.save_pretrained(model, folder)`: it gathers FSDP shards.
    """
    import torch

    from ._parallel import Replica
    dist = dist or Replica()
    check_precision(s.precision, s.device)
    model.to(s.device)
    model = dist.prepare(model)  # DDP / FSDP wrap before the optimiser sees the parameters
    opt = make_optimizer(model, s, fused=dist.fused_optimizer)
    scaler = torch.amp.GradScaler("cuda") if s.precision == "fp16" else None
    autocast = (torch.autocast(s.device, dtype=getattr(torch, AUTOCAST[s.precision]))
                if s.precision in AUTOCAST else contextlib.nullcontext())

    state = load_state(state_dir)
    if state is None:
        start, history = 0, []
        # Dropout draws (the model was initialised before this); each worker its own masks.
        torch.manual_seed(s.seed + dist.rank)
        if s.device == "cuda":
            torch.cuda.manual_seed_all(s.seed + dist.rank)
    else:
        start, history = state["step"], state["history"]
        if scaler is not None and state["scaler"] is not None:
            scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng"]["cpu"])
        if s.device == "cuda" and state["rng"]["cuda"] is not None:
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        dist.load(model, opt, state)  # weights, AdamW, and each worker's own RNG
        log(f"resumed at step {start} of {s.steps} from {state_dir}")

    crash_at = int(os.environ.get(CRASH_ENV, "0"))
    params = [p for g in opt.param_groups for p in g["params"]]
    model.train()
    t_start = t_prev = t_saved = time.perf_counter()
    elapsed0 = history[-1]["seconds"] if history else 0.0
    for step in range(start, s.steps):
        lr = s.lr * lr_factor(step, s)
        for group in opt.param_groups:
            group["lr"] = lr
        x, injected = batches(step)
        x = dist.local_rows(x).to(s.device, non_blocking=True)  # this worker's share of the step

        loss_sum = torch.zeros((), device=s.device)
        penalty_sum = torch.zeros((), device=s.device)
        chunks = x.split(s.micro_batch)
        for k, chunk in enumerate(chunks):
            with dist.accumulating(model, last=k == len(chunks) - 1):
                with autocast:
                    if s.regulariser is None:
                        loss = objective = model(input_ids=chunk, labels=chunk, use_cache=False).loss
                    else:
                        loss, pen = _loss_and_penalty(model, chunk, s.regulariser[0])
                        objective = loss + s.regulariser[1] * pen
                        penalty_sum += pen.detach() * (len(chunk) / len(x))
                # Every block has the same number of predicted tokens, so weighting each
                # micro-batch's mean by its share of blocks gives the step's mean loss (and
                # the workers' gradient average the global step's mean).
                share = len(chunk) / len(x)
                weighted = objective * share
                (scaler.scale(weighted) if scaler is not None else weighted).backward()
            loss_sum += loss.detach() * share   # the history's loss: next-token loss only

        if scaler is not None:
            scaler.unscale_(opt)  # clip the true gradients, not the scaled ones
        # With clipping off the norm is still computed (max inf): it goes in the history.
        grad_norm = torch.nn.utils.clip_grad_norm_(params, s.max_grad_norm or math.inf)
        if scaler is not None:
            scaler.step(opt)
            scaler.update()
        else:
            opt.step()
        opt.zero_grad(set_to_none=True)

        done = step + 1
        grad_norm = getattr(grad_norm, "full_tensor", lambda: grad_norm)()  # FSDP: a DTensor
        loss_value, norm_value = dist.mean(loss_sum).item(), grad_norm.item()  # one sync per step
        now = time.perf_counter()
        history.append({"step": done, "tokens": done * s.tokens_per_step, "loss": loss_value,
                        "lr": lr, "grad_norm": norm_value, "injected_blocks": injected,
                        "tokens_per_s": s.tokens_per_step / (now - t_prev),  # seconds: wall time
                        "seconds": elapsed0 + now - t_start})
        if s.regulariser is not None:  # trained on loss + weight × penalty
            history[-1]["penalty"] = dist.mean(penalty_sum).item()
        if on_step is not None:
            on_step(history[-1])
        if not math.isfinite(loss_value):
            raise FloatingPointError(f"loss is {loss_value} at step {done}: lower lr or use fp32")

        # Workers' clocks differ: they agree on a timed save, which every one of them joins.
        if state_dir is not None and (done in s.checkpoints or dist.any(now - t_saved > SAVE_STATE_EVERY_S)):
            if done in s.checkpoints:
                save_checkpoint(model, state_dir / "checkpoints" / str(done), dist)
            save_state(state_dir, done, model, opt, scaler, history, s.device, dist)
            dist.persist(state_dir)  # N workers: a Ray Train checkpoint of what was just saved
            t_saved = time.perf_counter()
        t_prev = time.perf_counter()  # a step's tokens/s counts training, not saving
        dist.step_done(done)
        if done == crash_at:
            raise RuntimeError(f"{CRASH_ENV}={crash_at}: simulated crash after step {done}")
    model.eval()
    return history


def _loss_and_penalty(model: Any, chunk: Any, kind: str) -> tuple[Any, Any]:
    """Next-token loss and the geometric penalty of the final hidden states (after the
    final norm: transformers' last hidden state), from one forward pass."""
    from ._regularise import penalty
    out = model(input_ids=chunk, labels=chunk, use_cache=False, output_hidden_states=True)
    return out.loss, penalty(kind, out.hidden_states[-1])


# -- resume state ------------------------------------------------------------------------

def save_checkpoint(model: Any, folder: Path, dist: Any = None) -> None:
    """save_pretrained into `folder`, atomically: a folder that exists is complete. With N
    workers every one takes part (FSDP gathers its shards) and rank 0 writes."""
    from ._parallel import Replica
    dist = dist or Replica()
    tmp = folder.with_name(f".{folder.name}.tmp")
    if dist.is_main:
        shutil.rmtree(tmp, ignore_errors=True)
    dist.save_pretrained(model, tmp)
    if dist.is_main:
        shutil.rmtree(folder, ignore_errors=True)  # a re-run step after a crash overwrites it
        tmp.rename(folder)


def save_state(state_dir: Path, step: int, model: Any, opt: Any, scaler: Any,
               history: list[dict], device: str, dist: Any = None) -> None:
    import torch

    from ._parallel import Replica
    dist = dist or Replica()
    state = {"step": step, **dist.state(model, opt),  # every worker joins the gather
             "scaler": scaler.state_dict() if scaler is not None else None,
             "rng": {"cpu": torch.get_rng_state(),
                     "cuda": torch.cuda.get_rng_state_all() if device == "cuda" else None},
             "history": history}
    if not dist.is_main:
        return
    tmp = state_dir / "state.pt.tmp"
    torch.save(state, tmp)
    os.replace(tmp, state_dir / "state.pt")  # atomic: a crash mid-save keeps the old state


def load_state(state_dir: Path | None) -> dict | None:
    import torch
    if state_dir is None or not (state_dir / "state.pt").exists():
        return None
    return torch.load(state_dir / "state.pt", map_location="cpu", weights_only=True)


def export_checkpoints(state_dir: Path, out: Path, steps: list[int]) -> None:
    """Put the checkpoints saved in the resume folder under `out/checkpoints/`: hard links
    (no copy; the resume folder keeps its own until the commit drops it), else copies."""
    for step in steps:
        src, dst = state_dir / "checkpoints" / str(step), out / "checkpoints" / str(step)
        if not src.is_dir():
            raise RuntimeError(f"checkpoint {step} is missing from the resume folder {state_dir}")
        try:
            shutil.copytree(src, dst, copy_function=os.link)
        except OSError:  # another file system: links are impossible
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
