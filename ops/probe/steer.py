"""Steering sweep: add α × a direction to the residual stream and score pairs.

Takes a direction from a probe.diff_means table (the row for `direction_layer`),
adds α times it to the residual stream after block `layer` at every token
position (context and alternative alike, as in activation addition), and
scores the items' good/bad alternatives exactly as eval.logprob_pairs does, once
per α in `alphas`. Include 0.0 in `alphas`: it is the unsteered baseline every
shift is measured against (e.g. "diff shifts by ≥ 1σ at α = 8", with
analyse.effect_size between alpha 8 and alpha 0).

The scored text is [context + separator] + alternative; only the alternative's
tokens count. α multiplies the stored direction: unit length when diff_means ran
with normalize: true, else the raw mean difference.

Output: one row per item × α, the items' own columns carried alongside:

    item        0-based index of the item in `items`
    alpha       the α of this row
    logp_good   log-probability of the good alternative under steering
    logp_bad    same for the bad alternative
    diff        logp_good - logp_bad
    correct     diff > 0

Cost: 2·N·D over items × alphas × 2 alternatives.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, NonNegativeInt

from .._common import BatchTokens, Bos, InferPrecision, Tokenizer, Unique, forward_cost
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams, TableRef
from ..eval._pairs import PAIR_COLUMNS, Bad, Context, Good, Reduction, Separator


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to steer: a `models:` entry or a model-producing stage. Usually the model "
        "the directions were computed on."))
    tokenizer: Tokenizer = None
    directions: TableRef = Field(description="A probe.diff_means stage.")
    layer: NonNegativeInt = Field(description=(
        "Block after which the direction is added to the residual stream (0-based)."))
    direction_layer: NonNegativeInt | None = Field(default=None, description=(
        "Which layer's direction to add. None (default) = `layer`. Set it to transfer "
        "a direction found at one layer to another."))
    alphas: Annotated[list[float], Unique] = Field(min_length=1, description=(
        "Steering strengths, one set of rows each. Include 0.0 as the baseline and "
        "negative values to steer away from the concept."))
    items: DataRef = Field(description="Data source of the pairs to score, one record per item.")
    good: Good
    bad: Bad
    context: Context = None
    separator: Separator = " "
    reduction: Reduction = "sum"
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "alpha") + PAIR_COLUMNS


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.items, sequences_per_record=2 * len(p.alphas),
                        note="2·N·D over items × alphas × 2 alternatives")


OP = Op(name="probe.steer", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="items")
