"""Record hidden activations at chosen layers, for probes and offline analysis.

Runs `model` over each record of `data` and stores, per layer, the activation
vector at `site`, pooled over tokens by `pooling`. The table keeps the records'
own columns (labels, groups ...), so probe.linear can train on any of them.

Output: one row per item × layer (× position with pooling: all):

    item        0-based index of the record in `data`
    layer       block index (0-based)
    position    token index (pooling: all only)
    activation  the vector (list of floats, d_model long)

Size: items × layers × d_model floats (× tokens with pooling: all); keep `layers`
narrow on big models.

Cost: 2·N·D, D = data tokens (truncated to max_length).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .._common import (BatchTokens, Bos, InferPrecision, Layers, MaxLength, Site,
                       TextField, Tokenizer, forward_cost)
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to read: a `models:` entry or a model-producing stage."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Texts to run, one record per item.")
    text_field: TextField = "text"
    layers: Layers = "all"
    site: Site = "residual"
    pooling: Literal["last", "mean", "all"] = Field(default="last", description=(
        "How token positions become rows: last (the final token, which has seen the "
        "whole text; default), mean (average over tokens) or all (one row per token: "
        "large)."))
    max_length: MaxLength = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384


def columns(p: Params) -> tuple[str, ...]:
    if p.pooling == "all":
        return ("item", "layer", "position", "activation")
    return ("item", "layer", "activation")


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.data, cap=p.max_length, note="2·N·D over the texts")


OP = Op(name="probe.activations", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="data")
