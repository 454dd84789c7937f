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

Tokenization and BOS: the prompt, the context and each alternative are tokenized
separately and concatenated, cut before whitespace (a prompt's trailing space goes to
the alternative, as in lm-evaluation-harness); with `bos` the tokenizer's BOS token
comes first, so the first word is scored in context. Both choices are recorded.

Speed: the scorer (ops/eval/_scorer.py) scores identical requests once, runs each
prompt once and shares its key/value cache with every item, batches by a token budget
over length-sorted rows, and projects onto the vocabulary only at scored positions,
once per distinct context. `batch_tokens` changes memory, never results.

Cost: 2·N·D, D = items × prompts × 2 alternatives × (item tokens + prompt tokens).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import numpy as np

from pydantic import Field

from .._common import BatchTokens, Bos, InferPrecision, Tokenizer, Unique, forward_cost
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams
from ._pairs import PAIR_COLUMNS, Bad, Context, Good, Reduction, Separator

if TYPE_CHECKING:
    import pandas as pd


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


def run(p: Params, ctx) -> "pd.DataFrame":
    import pandas as pd

    from .._lm import bos_prefix, load_lm, load_tokenizer, max_positions
    from ._items import with_item_columns
    from ._pairs import pair_requests
    from ._scorer import check_lengths, score
    from ._segments import Encoder

    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = load_lm(ctx, p.model, tok, p.precision)
    items = ctx.data(p.items).to_pandas()
    bos = tuple(bos_prefix(tok, p.bos))
    t0 = time.perf_counter()  # timed from tokenization on: what a user waits for
    requests = pair_requests(items, p.prompts, p.good, p.bad, p.context, p.separator, Encoder(tok), bos)
    check_lengths(requests, max_positions(lm))
    scores = score(lm, requests, batch_tokens=ctx.batch_size(p.batch_tokens), progress=ctx.progress)
    seconds = time.perf_counter() - t0
    logp = scores.logprob / scores.tokens if p.reduction == "mean" else scores.logprob
    if p.reduction == "mean" and (scores.tokens == 0).any():
        ctx.log(f"{int((scores.tokens == 0).sum())} alternatives have no scored token: mean is NaN")
    n = len(items)
    table = pd.DataFrame({
        "item": np.tile(np.arange(n), len(p.prompts)),
        "prompt": np.repeat(np.array(p.prompts, dtype=object), n),
        "logp_good": logp[0::2], "logp_bad": logp[1::2],
    })
    table["diff"] = table["logp_good"] - table["logp_bad"]
    table["correct"] = table["diff"] > 0
    ctx.record(reduction=p.reduction, bos=p.bos, bos_token_id=bos[0] if bos else None,
               tokenization="pieces tokenized separately, cut before whitespace",
               score_seconds=round(seconds, 3),
               requests_per_s=round(len(requests) / max(seconds, 1e-9), 1), **scores.stats)
    return with_item_columns(table, items, ctx)


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "prompt") + PAIR_COLUMNS


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.items, sequences_per_record=2, prompts=p.prompts,
                        note="2·N·D over items × prompts × 2 alternatives")


OP = Op(name="eval.logprob_pairs", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="items", run=run)
