"""Graft MLP layers of a donor model into a recipient, under matched prefixes.

Donor and recipient share an architecture and tokenizer (e.g. a pretrained model
and its instruction-tuned version). Both read the same token prefixes from
`data`; the recipient is then run with the MLPs of `layers` taken from the donor,
and its next-token distribution is compared with the donor's and with its own:
how much of the donor's behaviour do those layers carry?

    mode: weights      copy the donor's MLP weights into the recipient (a graft)
    mode: activations  run the donor on the same prefix and patch its MLP outputs
                       into the recipient's forward pass (activation patching)

    sweep: together    one graft of all `layers` at once
    sweep: each        one graft per listed layer
    sweep: from        for each listed layer k, graft every listed layer >= k:
                       late-layer grafts of growing depth ([8,9,10,11] -> 11,
                       10-11, 9-11, 8-11)

Output: one row per item × graft, plus one ungrafted baseline row per item
(n_layers 0, layer null): the recipient's own distance from the donor. The
data's own columns are carried alongside.

    item          0-based index of the record in `data`
    layer         first (lowest) grafted layer; null on the baseline row
    n_layers      number of grafted layers
    kl_donor      KL(donor ‖ grafted recipient), nats: lower = closer to the donor
    kl_recipient  KL(recipient ‖ grafted recipient), nats: how far the graft moved it
    top1_donor    share of positions whose top token equals the donor's

Cost: 2·D·(N_donor + N_recipient × (1 + grafts)), D = data tokens.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeInt

from .._common import (UNKNOWN_DATA, UNKNOWN_MODEL, BatchTokens, Bos, InferPrecision,
                       MaxLength, TextField, Tokenizer, Unique, differs_from, sequence_tokens)
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams


class Params(OpParams):
    recipient: ModelRef = Field(description=(
        "Model that receives the grafted layers: a `models:` entry or a model stage."))
    donor: Annotated[ModelRef, differs_from("recipient")] = Field(description=(
        "Model the MLP layers come from; same architecture and tokenizer as recipient."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Prefixes both models read, one record per item.")
    text_field: TextField = "text"
    layers: Annotated[list[NonNegativeInt], Unique] = Field(min_length=1, description=(
        "Blocks (0-based) whose MLPs are grafted, e.g. the last four. Checked against the "
        "models' depth at run time."))
    sweep: Literal["together", "each", "from"] = Field(default="together", description=(
        "Which grafts to run: together (all layers at once), each (one per layer) or "
        "from (every suffix of the sorted layers). See the op's doc."))
    mode: Literal["weights", "activations"] = Field(default="weights", description=(
        "weights: copy donor MLP weights; activations: patch donor MLP outputs computed "
        "on the same prefix. They differ once earlier layers diverge."))
    positions: Literal["last", "all"] = Field(default="last", description=(
        "Which next-token distributions are compared: after the full prefix only "
        "(default), or at every position (mean over positions)."))
    max_length: MaxLength = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384

    @property
    def grafts(self) -> int:
        return 1 if self.sweep == "together" else len(self.layers)


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "layer", "n_layers", "kl_donor", "kl_recipient", "top1_donor")


def cost(p: Params, ctx: CostContext) -> Cost:
    sized = sequence_tokens(ctx, p.data, cap=p.max_length)
    if sized is None:
        return Cost(note=UNKNOWN_DATA)
    tokens = sized[0] * sized[1]
    n_donor, n_recipient = ctx.model_params(p.donor), ctx.model_params(p.recipient)
    if n_donor is None or n_recipient is None:
        return Cost(tokens=tokens, note=UNKNOWN_MODEL)
    passes = n_donor + n_recipient * (1 + p.grafts)
    return Cost(flops=2.0 * passes * tokens, tokens=tokens,
                note=f"2·D·(N_donor + N_recipient × {1 + p.grafts}): baseline + "
                     f"{p.grafts} graft(s)")


OP = Op(name="probe.graft", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="data")
