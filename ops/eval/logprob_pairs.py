"""Score minimal pairs: log P(good) vs log P(bad) under each prompt prefix.

For every item of `items` and every prompt in `prompts`, the model scores two
alternative texts taken from the item's `good` and `bad` fields, e.g. BLiMP's
sentence_good / sentence_bad, or "A and B" / "B and A" for word-order
preferences. The scored text is prompt + [context + separator] + alternative;
only the alternative's tokens count. Prompts are prepended verbatim: include
their trailing space ("Well, ").

Output: one row per item × prompt, with the items' own columns (UID, field ...)
carried alongside, so measures can group by them:

    item        0-based index of the item in `items`
    prompt      the prompt string
    logp_good   log-probability of the good alternative (nats; reduced by `reduction`)
    logp_bad    same for the bad alternative
    diff        logp_good - logp_bad
    correct     diff > 0 (ties count as wrong)

For more than two alternatives use eval.multiple_choice.

Cost: 2·N·D, D = items × prompts × 2 alternatives × (item tokens + prompt tokens).
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .._common import BatchTokens, Bos, InferPrecision, Tokenizer, Unique, forward_cost
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams
from ._pairs import PAIR_COLUMNS, Bad, Context, Good, Reduction, Separator


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to score with: a `models:` entry or a model-producing stage (each of its "
        "checkpoints when the stage varies over `checkpoint`)."))
    tokenizer: Tokenizer = None
    items: DataRef = Field(description="Data source of the pairs, one record per item.")
    good: Good
    bad: Bad
    context: Context = None
    separator: Separator = " "
    prompts: Annotated[list[str], Unique] = Field(default=[""], min_length=1, description=(
        "Prefixes prepended to every item; each gives its own rows. [\"\"] (default) "
        "scores items alone. Several prompts average out wording effects (e.g. 50 "
        "neutral prefixes)."))
    reduction: Reduction = "sum"
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "prompt") + PAIR_COLUMNS


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.items, sequences_per_record=2, prompts=p.prompts,
                        note="2·N·D over items × prompts × 2 alternatives")


OP = Op(name="eval.logprob_pairs", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="items")
