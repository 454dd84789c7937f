"""Replay: general text mixed into fine-tuning, against forgetting (train.sft, train.dpo, train.orpo).

`replay.ratio` is the share of training examples that are replay, in every micro-batch:

* SFT (`mix_replay` + `ReplaySampler`): replay examples are rows of the dataset (plain
  text, every token trained). The sampler orders rows so that after k rows of an epoch
  exactly floor(k · ratio) are replay (while both kinds last): a micro-batch of B rows holds
  floor or ceil of B · ratio replay rows, never a lucky batch of none (batch 16 at 0.25:
  exactly 4 in every batch). Rows are shuffled within each kind, afresh every epoch.
* DPO / ORPO (`ReplayStream` + `ReplayLoss`): TRL's preference losses only take (prompt,
  chosen, rejected) records, so replay is a second loss term: each micro-batch of B pairs
  draws k replay examples, k accumulating to exactly ratio / (1 - ratio) per pair, and its
  loss becomes L_pref + (k / B) * L_lm, where L_pref is TRL's loss (a mean over pairs) and
  L_lm the mean next-token loss per token of the replay examples. Each replay example then
  weighs as much as one preference pair, and `ratio` keeps its meaning. The preference term
  is left unscaled, so `lr` means the same as without replay.
"""
from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

from ._finetune import FinetuneParams


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
    from ._trl import replay_chunks, seed_of
    if p.replay is None or p.replay.ratio == 0:
        return
    trainer.replay = ReplayStream(replay_chunks(ctx, p, tok), p.replay.ratio, seed_of(p, ctx))
    trainer.replay_losses = []


class ReplaySampler:
    """Row order of an SFT dataset laid out as `n_task` task rows then `n_replay` replay rows
    (what `mix_replay` builds): slot k (1-based) of an epoch takes a replay row when
    floor(k · ratio) steps up, a task row otherwise, so every run of B consecutive rows (a
    micro-batch) holds floor or ceil of B · ratio replay rows. When one kind runs out the
    other fills the rest. Each epoch shuffles both kinds with its own seed (seed, epoch)."""

    def __init__(self, n_task: int, n_replay: int, ratio: float, seed: int):
        self.n_task, self.n_replay, self.seed, self.epoch = n_task, n_replay, seed, 0
        self.ratio = Fraction(str(ratio))

    def __len__(self) -> int:
        return self.n_task + self.n_replay

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        rng = random.Random(f"{self.seed}/{self.epoch}")
        self.epoch += 1  # a trainer that never calls set_epoch still gets a fresh order
        task = rng.sample(range(self.n_task), self.n_task)
        replay = rng.sample(range(self.n_task, self.n_task + self.n_replay), self.n_replay)
        for k in range(1, len(self) + 1):
            wants_replay = math.floor(k * self.ratio) > math.floor((k - 1) * self.ratio)
            yield (replay if (wants_replay and replay) or not task else task).pop()


def with_replay_batches(trainer_cls: type, sampler: ReplaySampler | None) -> type:
    """`trainer_cls` (SFTTrainer) drawing its training rows in `sampler`'s order; the class
    itself when there is no replay."""
    if sampler is None:
        return trainer_cls

    def _get_train_sampler(self, train_dataset=None):
        return sampler
    return type(f"ReplayBatches{trainer_cls.__name__}", (trainer_cls,),
                {"_get_train_sampler": _get_train_sampler})
