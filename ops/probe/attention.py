"""Where a model's attention goes: per item and layer, how spread out it is and how much of it
the text puts on its context. Run on a base model and on its fine-tuned versions (a stage
family), the differences are attention-shift measures of fine-tuning.

Each record is read as BOS (per `bos`) + its `context` field + `separator` + its `text`
field (or the text alone without `context`), in one forward pass with the attention
probabilities returned (the model runs with eager attention for it). Per item × layer, over
every head:

    entropy        mean entropy (nats) of the attention distributions of the text's query
                   positions: low = focused on few tokens, high = spread out
    context_share  mean attention mass the text's query positions put on the context tokens
                   (the prompt a response answers); NaN without `context`
    first_share    mean mass on the first token (BOS, or the first context token): the
                   "attention sink" many models park attention on
    tokens, context_tokens   the tokens read, and how many of them are context

The text's query positions are its own tokens (with `context`) or every position after the
first (without; the first attends only to itself). The context keeps the tokens it has when
tokenized alone: the separator goes on the text, so a byte-level BPE splits the context the
same way with or without what follows. Items' own columns are carried into the table.

Cost: 2·N·D, D = the records' tokens (attention maps are O(T²) memory per layer: cap long
texts with `max_length`, which truncates the text, never the context).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from .._common import DATA_COLUMN, Bos, InferPrecision, Layers, MaxLength, Tokenizer, forward_cost
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("item", "layer", "tokens", "context_tokens", "entropy", "context_share", "first_share")


class Params(OpParams):
    model: ModelRef = Field(description="Model to read: a `models:` entry or a model-producing stage.")
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Records to read, one item each.")
    text: Annotated[str, DATA_COLUMN] = Field(default="text", min_length=1, description=(
        "Field holding the text whose attention is measured (e.g. a response)."))
    context: Annotated[str, DATA_COLUMN] | None = Field(default=None, min_length=1, description=(
        "Field holding a context read before the text (e.g. the prompt it answers): "
        "context_share is the attention the text puts on it. None = the text alone."))
    separator: str = Field(default=" ", description=(
        "Text between the context and the text (default one space; \"\" when texts start "
        "with whitespace). Unused without context."))
    layers: Layers = "all"
    max_length: MaxLength = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"


def run(p: Params, ctx) -> "pd.DataFrame":
    import numpy as np
    import pandas as pd
    import torch

    from .._lm import bos_prefix, load_lm, load_tokenizer, max_positions
    from ..eval._items import with_item_columns
    from ._layers import anatomy
    from .activations import model_layers

    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = load_lm(ctx, p.model, tok, p.precision)
    layers = model_layers(p.layers, anatomy(lm).depth, p.model)
    items = ctx.data(p.data).to_pandas().reset_index(drop=True)
    bos = bos_prefix(tok, p.bos)
    limit = min((n for n in (p.max_length, max_positions(lm)) if n is not None), default=None)
    rows: dict[str, list] = {k: [] for k in COLUMNS}
    before = getattr(lm.config, "_attn_implementation", None)
    lm.set_attn_implementation("eager")  # fused kernels never materialise the probabilities
    try:
        for i, record in enumerate(items.to_dict("records")):
            ids, n_context = _tokens(tok, bos, record, p)
            if limit is not None and len(ids) > limit:
                if n_context >= limit - 1:
                    raise ValueError(f"item {i}: its context alone is {n_context} tokens, and the model "
                                     f"reads {limit}: shorten the context or raise max_length")
                ids = ids[:limit]
            with torch.inference_mode():
                out = lm(torch.tensor([ids], device=lm.device), output_attentions=True, use_cache=False)
            for layer in layers:
                stats = _stats(out.attentions[layer][0].float(), n_context)
                for name, value in (("item", i), ("layer", layer), ("tokens", len(ids)),
                                    ("context_tokens", n_context), *stats.items()):
                    rows[name].append(value)
            ctx.progress(i + 1, len(items))
    finally:
        if before is not None:
            lm.set_attn_implementation(before)
    ctx.record(layers=layers, bos=bool(bos), separator=p.separator if p.context else None,
               attention="eager, all heads averaged")
    table = pd.DataFrame(rows).astype({"item": np.int64, "layer": np.int64})
    return with_item_columns(table, items, ctx)


def _tokens(tok, bos: list[int], record: dict, p: Params) -> tuple[list[int], int]:
    """Token ids of one record, and how many of them (BOS included) are context."""
    text = str(record[p.text])
    if p.context is None:
        return bos + tok(text, add_special_tokens=False)["input_ids"], len(bos)
    head = bos + tok(str(record[p.context]), add_special_tokens=False)["input_ids"]
    return head + tok(p.separator + text, add_special_tokens=False)["input_ids"], len(head)


def _stats(attn, n_context: int) -> dict[str, float]:
    """attn: [heads, T, T] probabilities of one layer. The text's queries are positions
    n_context.. (or 1.. without context: position 0 can only attend to itself)."""
    start = n_context if n_context > 0 else 1
    queries = attn[:, start:, :]
    if queries.shape[1] == 0:
        return {"entropy": float("nan"), "context_share": float("nan"), "first_share": float("nan")}
    entropy = -(queries * queries.clamp_min(1e-12).log()).sum(-1)
    context = queries[..., :n_context].sum(-1).mean().item() if n_context > 0 else float("nan")
    return {"entropy": entropy.mean().item(), "context_share": context,
            "first_share": queries[..., 0].mean().item()}


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.data, cap=p.max_length, note="2·N·D, one item per forward pass")


def columns(p: Params) -> tuple[str, ...]:
    return COLUMNS


OP = Op(name="probe.attention", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="data", run=run)
