"""Difference-of-means directions: the mean activation of positive texts minus that
of negative texts, per layer.

Each record of `data` holds a positive and a negative text (e.g. a sycophantic
and a candid reply). Both run through `model`; at every layer the activations at
`site`, pooled by `pooling`, are averaged over records, and the direction is
mean(positive) − mean(negative). probe.steer adds these directions back in.

Output: one row per layer:

    layer       block index
    direction   the direction vector (list of floats, d_model long); unit length
                when normalize is true
    norm        length of the raw mean difference (before normalising)
    separation  in-sample gap between positive and negative projections onto the
                direction, in pooled standard deviations (Cohen's d): pick layers
                where the concept is linearly present
    n           number of records (pairs) averaged

Cost: 2·N·D over positive and negative texts.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .._common import (BatchTokens, Bos, InferPrecision, Layers, MaxLength, Site,
                       Tokenizer, differs_from, forward_cost)
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to read: a `models:` entry or a model-producing stage."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Contrastive pairs, one record per pair.")
    positive: str = Field(min_length=1, description=(
        "Field holding the text that shows the concept (the direction points towards it)."))
    negative: Annotated[str, differs_from("positive")] = Field(min_length=1, description=(
        "Field holding the matched text without it; keep pairs otherwise identical so "
        "the difference isolates the concept."))
    layers: Layers = "all"
    site: Site = "residual"
    pooling: Literal["last", "mean"] = Field(default="last", description=(
        "Which token's activation represents a text: last (default; it has read the "
        "whole text) or the mean over tokens."))
    normalize: bool = Field(default=True, description=(
        "Store unit-length directions, so a steering alpha is an absolute residual-"
        "stream length. False keeps the raw difference: alpha 1 adds it in full."))
    max_length: MaxLength = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384


def columns(p: Params) -> tuple[str, ...]:
    return ("layer", "direction", "norm", "separation", "n")


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.data, sequences_per_record=2, cap=p.max_length,
                        note="2·N·D over positive and negative texts")


OP = Op(name="probe.diff_means", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns)
