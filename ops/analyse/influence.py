"""Data attribution: how much each training record pushes a model towards a target set.

TracIn at one checkpoint (Pruthi et al. 2020, one term of its sum): for every record x of
`data`,

    influence(x) = < grad L(x), mean over target items t of grad L(t) >

the gradients taken at `model` (the checkpoint trained on `data`), over the weights of its
last `last_blocks` decoder blocks only. A positive score means one gradient step on x lowers
the loss of the target set (to first order, by lr × influence): x is a proponent of the
target behaviour; a negative score, an opponent. `drop_top` marks the most influential
share of the records (largest scores) as dropped: `keep` is 1 for the records that remain,
so a training stage can read this table as its data (train.sft `keep_column: keep`).

Why the last blocks: a full gradient of a 7B model is 7B numbers per record; the last
blocks' weights (~1/depth of them: ~200M for OLMo-2-7B, one block) fit in memory next to
the model, and attribution work (TracIn's and DataInf's last-layer variants) finds the
ranking is carried mostly by the last layers. The output head is left out: it is tied to the
input embeddings in many models (GPT-2, OLMo-1) and its vocabulary-sized gradient is
dominated by which tokens occur, not by what the record teaches.

Losses: L(x) is the mean next-token cross-entropy over the record's tokens (cut at
`max_length`), as train.sft trains plain text. A target item is `target_fields.completion`
given `target_fields.prompt` (loss on the completion's tokens only, joined with one space as
train.sft joins them), or the whole text when `prompt` is null. Each record's gradient is
computed on its own (no padding, no batch): the scores do not depend on any batch size, and
they equal a brute-force per-example gradient. Dropout is off (eval mode); the sort that
picks the dropped records breaks ties by record index, so the output is deterministic.

Output (one row per record of `data`, its columns carried alongside):
    item       0-based index of the record in `data`
    tokens     tokens of the record scored (after the cut)
    influence  the score above (float64)
    rank       1 = most influential (largest score)
    keep       1 if the record remains after dropping the top `drop_top` share, else 0
               (all 1 without drop_top)

Cost: 2·N·D forward over the records and the target items. The backward pass (the output
head's activation gradient, ≈2·N_head·D, and the last blocks', ≈4·N·D·last_blocks/depth) is
not counted: the depth is unknown at plan time. For 1 block of 32 of a 7B model with a
100k vocabulary it adds ~12% to the forward.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .._common import (DATA_COLUMN, InferPrecision, Seed, TextField, Tokenizer, forward_cost,
                       sequence_tokens)
from .._op import ColumnOf, Cost, CostContext, DataRef, ModelRef, Op, OpParams, TableOrDataRef

TARGET_COLUMN = ColumnOf(("target",))


class TargetFields(OpParams):
    prompt: Annotated[str | None, TARGET_COLUMN] = Field(default=None, min_length=1, description=(
        "Field of each target item holding the prompt (conditions the completion, carries no "
        "loss). None (default) = the whole `completion` text carries the loss."))
    completion: Annotated[str, TARGET_COLUMN] = Field(default="text", min_length=1, description=(
        "Field holding the target text whose loss the training records are scored against."))


class Params(OpParams):
    model: ModelRef = Field(description=(
        "The checkpoint the gradients are taken at: usually the stage trained on `data`."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Training records to score (one row each in the output).")
    text_field: Annotated[TextField, DATA_COLUMN] = "text"
    target: TableOrDataRef = Field(description=(
        "The behaviour attributed: a data source or a table stage whose items' loss gradient "
        "the records are compared with (e.g. the fine-tuning data of a later stage)."))
    target_fields: TargetFields = Field(default_factory=TargetFields, description=(
        "Which fields of `target` hold the prompt and the completion."))
    last_blocks: int = Field(default=1, gt=0, description=(
        "Gradients over the weights of this many last decoder blocks (see the op's doc)."))
    max_length: int = Field(default=512, gt=1, description="Cut each record and target item to this many tokens.")
    drop_top: float | None = Field(default=None, gt=0.0, lt=1.0, description=(
        "Share of records with the largest influence marked keep = 0 (0.05 = the top 5%), "
        "rounded to whole records. None (default) keeps every record."))
    precision: InferPrecision = "fp32"
    seed: Seed = None


def _token_ids(tok, text: str, prompt: str | None, max_length: int) -> tuple[list[int], int]:
    """(ids, first position that carries loss) of a text, or of prompt + completion."""
    if prompt is None:
        return tok(text)["input_ids"][:max_length], 1
    from ..train._trl import join
    head = tok(prompt)["input_ids"]
    ids = tok(prompt + join(prompt, text))["input_ids"][:max_length]
    return ids, max(len(head), 1)


def _loss(lm, ids: list[int], start: int):
    """Mean next-token cross-entropy of ids[start:] (None when no token carries loss)."""
    import torch
    if len(ids) <= start:
        return None
    x = torch.tensor([ids], device=lm.device)
    logits = lm(input_ids=x).logits[0, start - 1:-1].float()
    return torch.nn.functional.cross_entropy(logits, x[0, start:])


def gradient(lm, params: list, ids: list[int], start: int):
    """The flat fp32 gradient of one sequence's loss over `params` (zeros if it has no loss)."""
    import torch
    loss = _loss(lm, ids, start)
    if loss is None:
        return torch.zeros(sum(q.numel() for q in params), dtype=torch.float32, device=lm.device)
    grads = torch.autograd.grad(loss, params)
    return torch.cat([g.reshape(-1).float() for g in grads])


def subset(lm, last_blocks: int) -> list:
    from ..probe._layers import anatomy
    blocks = anatomy(lm).blocks
    if last_blocks > len(blocks):
        raise ValueError(f"last_blocks {last_blocks}: the model has only {len(blocks)} decoder blocks")
    return [q for b in blocks[-last_blocks:] for q in b.parameters()]


def run(p: Params, ctx):
    import numpy as np
    import pandas as pd
    import torch

    from .._lm import load_lm, load_tokenizer
    from ..eval._items import with_item_columns
    from ..train._trl import column, records

    if p.seed is not None:
        torch.manual_seed(p.seed)
    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = load_lm(ctx, p.model, tok, p.precision).eval()
    params = subset(lm, p.last_blocks)
    # Only the subset needs gradients; the flags are restored (the model may be shared).
    flags = [q.requires_grad for q in lm.parameters()]
    try:
        for q in lm.parameters():
            q.requires_grad_(False)
        for q in params:
            q.requires_grad_(True)
        targets = records(ctx, p.target)
        f = p.target_fields
        prompts = column(targets, f.prompt, p.target) if f.prompt else [None] * len(targets)
        texts = column(targets, f.completion, p.target)
        target = None
        for prompt, text in zip(prompts, texts):
            g = gradient(lm, params, *_token_ids(tok, str(text), None if prompt is None else str(prompt),
                                                 p.max_length))
            target = g if target is None else target + g
        if target is None:
            raise ValueError(f"target {p.target!r} has no items")
        target /= len(texts)
        field = "text" if ctx.data_kind(p.data) == "text" else p.text_field
        ds = ctx.data(p.data)
        scores, lengths = [], []
        for text in column(ds, field, p.data):
            ids, start = _token_ids(tok, str(text), None, p.max_length)
            scores.append(float(torch.dot(gradient(lm, params, ids, start), target).double()))
            lengths.append(len(ids))
    finally:
        for q, flag in zip(lm.parameters(), flags):
            q.requires_grad_(flag)
    influence = np.asarray(scores, dtype=np.float64)
    order = np.lexsort((np.arange(len(influence)), -influence))   # largest first, ties by index
    rank = np.empty(len(influence), dtype=np.int64)
    rank[order] = np.arange(1, len(influence) + 1)
    dropped = int(round(p.drop_top * len(influence))) if p.drop_top else 0
    table = pd.DataFrame({"item": np.arange(len(influence)), "tokens": lengths, "influence": influence,
                          "rank": rank, "keep": (rank > dropped).astype(np.int64)})
    ctx.record(params_scored=sum(q.numel() for q in params), last_blocks=p.last_blocks,
               target_items=len(texts), records=len(influence), dropped=dropped)
    return with_item_columns(table, ds.to_pandas(), ctx)


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "tokens", "influence", "rank", "keep")


def cost(p: Params, ctx: CostContext) -> Cost:
    data = forward_cost(ctx, p.model, p.data, cap=p.max_length)
    sized = sequence_tokens(ctx, p.target, cap=p.max_length)
    target_tokens = sized[0] * sized[1] if sized else 0.0
    n = ctx.model_params(p.model) or 0
    note = (f"2·N·D forward over records and target items; backward through the last {p.last_blocks} "
            "block(s) not counted")
    if sized is None:
        note += "; target size unknown, not counted"
    return Cost(flops=data.flops + 2.0 * n * target_tokens, tokens=data.tokens + target_tokens,
                note=data.note or note)


OP = Op(name="analyse.influence", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="data", run=run)
