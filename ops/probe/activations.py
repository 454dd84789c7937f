"""Record hidden activations at chosen layers, for probes and offline analysis.

Runs `model` over each record of `data` and stores, per layer, the activation
vectors at `site` for the token positions `pooling` picks. The arrays go to the
artifact in shards (`shards/L<layer>-<k>.bin`, raw row-major floats, at most
`shard_rows` rows each; `shards/meta.json` gives dtype, width and the model's
depth); the table is their index. Arrays are appended batch by batch, so memory
stays bounded by `batch_tokens` however many records there are. The table keeps
the records' own columns (labels, groups ...), so probe.linear can train on any.

Output: one index row per item × layer (× position with pooling: all):

    item      0-based index of the record in `data`
    layer     block index (0-based, after resolving negative indices and fractions)
    position  token index (pooling: all, or a named position)
    shard     file under shards/ holding the vector
    row       its row in that file

Read them back with `load_activations` (ops/probe/_store.py). Size: items ×
layers × d_model floats (× tokens with pooling: all).

Cost: 2·N·D, D = data tokens (truncated to max_length).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from .._common import (BatchTokens, Bos, InferPrecision, Layers, MaxLength, Site,
                       TextField, Tokenizer, forward_cost)
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams
from ._params import Pooling

if TYPE_CHECKING:
    import pandas as pd


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to read: a `models:` entry or a model-producing stage."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Texts to run, one record per item.")
    text_field: TextField = "text"
    layers: Layers = "all"
    site: Site = "residual"
    pooling: Pooling = "last"
    dtype: Literal["float32", "float16"] = Field(default="float32", description=(
        "How vectors are stored: float32 (default) or float16 (half the disk; probes "
        "read them back as float32)."))
    shard_rows: Annotated[int, Field(gt=0)] = Field(default=16384, description=(
        "Rows per shard file and layer. A storage knob only: results do not depend on it."))
    max_length: MaxLength = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384


def run(p: Params, ctx) -> "pd.DataFrame":
    from .._lm import bos_prefix, load_lm, load_tokenizer, max_positions
    from ..eval._items import with_item_columns
    from ._forward import check_fits, forward_batches
    from ._layers import anatomy
    from ._store import ShardWriter
    from ._texts import named_positions, probe_texts

    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = load_lm(ctx, p.model, tok, p.precision)
    parts = anatomy(lm)
    layers = model_layers(p.layers, parts.depth, p.model)
    items, texts = probe_texts(ctx, p.data, p.text_field, tok, bos_prefix(tok, p.bos), p.max_length)
    check_fits(texts, max_positions(lm), f"model {p.model!r}")
    named = named_positions(items, p.pooling, tok, bos_prefix(tok, p.bos), texts, p.model)
    writer = ShardWriter(ctx.out, layers, p.dtype, p.shard_rows, p.pooling, depth=parts.depth,
                         site=p.site)
    modules = [parts.site(p.site)[layer] for layer in layers]
    t0 = time.perf_counter()
    for batch in forward_batches(lm, texts, ctx.batch_size(p.batch_tokens), modules):
        for k, layer in enumerate(layers):
            writer.add(layer, batch.outputs[k], batch.index, batch.lengths,
                       None if named is None else named[batch.index])
    table = writer.close()
    seconds = time.perf_counter() - t0
    ctx.record(layers=layers, depth=parts.depth, family=parts.family, site=p.site,
               rows=len(table), forward_seconds=round(seconds, 3),
               texts_per_s=round(len(texts) / max(seconds, 1e-9), 1))
    return with_item_columns(table, items, ctx)


def model_layers(selector, depth: int, model: str) -> list[int]:
    """Resolved layers; a task error naming the model when they do not fit it."""
    from ._layers import LayerError, resolve_layers
    try:
        return resolve_layers(selector, depth)
    except LayerError as err:
        raise LayerError(f"model {model!r}: {err}") from None


def columns(p: Params) -> tuple[str, ...]:
    if p.pooling == "all" or not isinstance(p.pooling, str):
        return ("item", "layer", "position", "shard", "row")
    return ("item", "layer", "shard", "row")


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.data, cap=p.max_length, note="2·N·D over the texts")


OP = Op(name="probe.activations", version=2, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="data", run=run)
