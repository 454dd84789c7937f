"""Logit lens: how close is each layer's prediction to the model's final one?

Decodes the residual stream after each layer with the model's own unembedding
(after its final layer norm, unless `final_norm: false`) and measures
KL(layer ‖ final): the divergence of the layer's next-token distribution from
the final layer's, in nats, averaged over the scored positions. Comparing
pretrained and instruction-tuned models, it shows where each "commits".

An item is committed at a layer when the KL stays below `commit_kl` from that
layer through the last evaluated one; its commitment layer is the first such
layer (the final layer, KL 0, always qualifies when evaluated).

Output: one row per item × layer, the data's own columns carried alongside:

    item              0-based index of the record in `data`
    layer             block index
    kl                KL(layer ‖ final), nats, mean over scored positions
    top1_agree        share of positions whose top token equals the final layer's
    committed         kl < commit_kl here and at every later evaluated layer
    commitment_layer  the item's first committed layer (same on all its rows)

Cost: 2·N·D over the texts; the per-layer unembeddings (2·d_model·vocab per
token and layer) are not counted.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .._common import (BatchTokens, Bos, InferPrecision, Layers, MaxLength, TextField,
                       Tokenizer, forward_cost)
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to inspect: a `models:` entry or a model-producing stage."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Texts to run, one record per item.")
    text_field: TextField = "text"
    layers: Layers = "all"
    positions: Literal["all", "last"] = Field(default="all", description=(
        "Which next-token predictions count: all positions of the text (default), or "
        "only the last one (the prediction after the full prompt)."))
    final_norm: bool = Field(default=True, description=(
        "Apply the model's final layer norm before unembedding, as the logit lens "
        "does. False decodes the raw residual stream (usually far from the final)."))
    commit_kl: float = Field(default=0.5, gt=0.0, description=(
        "KL (nats) below which a layer counts as committed to the final prediction. "
        "Pre-register it: commitment layers move with it."))
    max_length: MaxLength = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "layer", "kl", "top1_agree", "committed", "commitment_layer")


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.data, cap=p.max_length,
                        note="2·N·D over the texts; per-layer unembeddings not counted")


OP = Op(name="probe.logit_lens", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="data")
