"""Graft MLPs (or whole blocks) of layers L..M from a donor model into a recipient, and
back, under matched prefixes.

Donor and recipient share an architecture and tokenizer (e.g. a pretrained model
and its instruction-tuned version). Both read the same token prefixes from
`data`. Each graft runs the receiving model with the `component` of the grafted
layers taken from the other model (see ops/probe/_graft.py for the hooks), and
decodes every layer of the result with the receiving model's own final norm and
unembedding (the logit lens): how far from each model's final distribution is
the grafted model, layer by layer?

    component: mlp     the MLP of each grafted block (default)
    component: block   whole decoder blocks: grafting them all turns the recipient's
                       computation into the donor's (the embeddings and head stay)
    mode: weights      the donor's module applied to the receiver's own input (a graft)
    mode: activations  the donor's module output on the same prefix patched in
    sweep: together    one graft of all `layers` at once
    sweep: each        one graft per layer
    sweep: from        for each layer k, every layer >= k: late grafts of growing
                       depth ([4,5,6,7] -> 7, 6-7, 5-7, 4-7)
    both_directions    also graft recipient -> donor (direction recipient->donor)

Every direction also gets its ungrafted baseline (graft "none", n_layers 0).

Output: one row per item × direction × graft × layer, the data's columns alongside:

    item               0-based index of the record in `data`
    direction          donor->recipient or recipient->donor (which model receives)
    graft              grafted layers, "4-7" or "7"; "none" for the baseline
    n_layers           number of grafted layers
    layer              block whose output is decoded (the last one: the model's output)
    kl_donor           KL(lens at layer ‖ the donor's own final distribution), nats
    kl_recipient       KL(lens at layer ‖ the recipient's own final distribution)
    top1_donor         the lens's top-1 token is the donor's final top-1
    top1_recipient     ... the recipient's
    late_kl_donor      kl_donor averaged over the `late` layers of the same item and
    late_kl_recipient  graft (the late-region summary; repeated on each of its rows)

With positions: all, KLs are means over the text's positions and top-1 columns shares.

Cost: 2·D·(N_donor + N_recipient + grafts × receiving models), D = data tokens.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from .._common import (UNKNOWN_DATA, UNKNOWN_MODEL, BatchTokens, Bos, InferPrecision, Layers,
                       MaxLength, TextField, Tokenizer, differs_from, sequence_tokens)
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams

if TYPE_CHECKING:
    import pandas as pd


class Params(OpParams):
    recipient: ModelRef = Field(description=(
        "Model that receives the grafted layers: a `models:` entry or a model stage."))
    donor: Annotated[ModelRef, differs_from("recipient")] = Field(description=(
        "Model the MLP layers come from; same architecture and tokenizer as recipient."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Prefixes both models read, one record per item.")
    text_field: TextField = "text"
    layers: Layers = Field(description=(
        "Blocks whose MLPs (or whole blocks) are grafted, e.g. [4, 5, 6, 7] or \"-4:\" "
        "(the last four)."))
    component: Literal["mlp", "block"] = Field(default="mlp", description=(
        "mlp (default): graft each layer's MLP; block: the whole decoder block."))
    both_directions: bool = Field(default=True, description=(
        "Also graft the recipient's layers into the donor (rows with direction "
        "recipient->donor). False: donor->recipient only."))
    late: Layers = Field(default=["2/3:"], description=(
        "The late region summarised in late_kl_donor / late_kl_recipient (default the "
        "last third, \"2/3:\")."))
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
        return 1 if self.sweep == "together" or self.layers == "all" else len(self.layers)


def graft_sets(layers: list[int], sweep: str) -> list[list[int]]:
    if sweep == "together":
        return [layers]
    if sweep == "each":
        return [[layer] for layer in layers]
    return [layers[k:] for k in range(len(layers) - 1, -1, -1)]


def label(layers: list[int]) -> str:
    if not layers:
        return "none"
    return str(layers[0]) if len(layers) == 1 else f"{layers[0]}-{layers[-1]}"


def run(p: Params, ctx) -> "pd.DataFrame":
    import pandas as pd

    from .._lm import bos_prefix, load_lm, load_tokenizer, max_positions
    from ..eval._items import with_item_columns
    from ._forward import batch_order, check_fits
    from ._layers import anatomy, resolve_layers
    from ._texts import probe_texts
    from .activations import model_layers

    tok = load_tokenizer(ctx, p.tokenizer, p.recipient)
    models = {"recipient": load_lm(ctx, p.recipient, tok, p.precision),
              "donor": load_lm(ctx, p.donor, tok, p.precision)}
    parts = {role: anatomy(lm) for role, lm in models.items()}
    depth = parts["recipient"].depth
    if parts["donor"].depth != depth or parts["donor"].family != parts["recipient"].family:
        raise ValueError(f"donor {p.donor!r} ({parts['donor'].family}, {parts['donor'].depth} blocks) and "
                         f"recipient {p.recipient!r} ({parts['recipient'].family}, {depth} blocks) must "
                         "share an architecture to be grafted")
    layers = model_layers(p.layers, depth, p.recipient)
    late = resolve_layers(p.late, depth)
    items, texts = probe_texts(ctx, p.data, p.text_field, tok, bos_prefix(tok, p.bos), p.max_length)
    check_fits(texts, max_positions(models["recipient"]), f"model {p.recipient!r}")
    directions = [("donor->recipient", "recipient", "donor")]
    if p.both_directions:
        directions.append(("recipient->donor", "donor", "recipient"))
    frames = []
    budget = ctx.batch_size(p.batch_tokens)
    # Batches are formed from the texts alone, so every model sees the same batches.
    for index in batch_order([len(t) for t in texts], budget):
        frames += graft_batch(p, models, parts, texts, index, layers, late, directions)
    table = pd.concat(frames, ignore_index=True).sort_values(
        ["item", "direction", "n_layers", "layer"], kind="stable").reset_index(drop=True)
    ctx.record(layers=layers, late=late, component=p.component, mode=p.mode)
    return with_item_columns(table, items, ctx)


def graft_batch(p, models, parts, texts, index, layers, late, directions) -> list:
    """Rows of one batch: both models alone, then every graft in every direction."""
    import pandas as pd
    import torch

    from ._forward import padded
    from ._graft import graft_pairs, grafted, recording
    from ._layers import Recorder
    device = next(models["recipient"].parameters()).device
    ids, mask, lengths = padded(texts, index, device)
    grafted_modules = {role: [m for pair in graft_pairs(parts[role], parts[role], layers, p.component)
                              for m in pair[:1]] for role in parts}
    runs, recorded = {}, {}
    with torch.inference_mode():
        for role, lm in models.items():
            with Recorder(parts[role].blocks) as rec, recording(grafted_modules[role]) as seen:
                logits = lm(input_ids=ids, attention_mask=mask, use_cache=False).logits
            runs[role] = (logits, rec.outputs)
            recorded[role] = seen
        finals = {role: torch.log_softmax(runs[role][0].float(), -1) for role in models}
        frames = []
        for name, receiver, giver in directions:
            frames.append(_rows(p, parts[receiver], runs[receiver][1], finals, lengths, index, name, [], late))
            for chosen in graft_sets(layers, p.sweep):
                pairs = graft_pairs(parts[receiver], parts[giver], chosen, p.component)
                patch = recorded[giver] if p.mode == "activations" else None
                with grafted(pairs, patch), Recorder(parts[receiver].blocks) as rec:
                    models[receiver](input_ids=ids, attention_mask=mask, use_cache=False)
                frames.append(_rows(p, parts[receiver], rec.outputs, finals, lengths, index, name, chosen, late))
    return frames


def _rows(p, receiver, outputs, finals, lengths, index, direction, chosen, late) -> "pd.DataFrame":
    """Per item and layer: KL of the receiver's lens to each model's final distribution."""
    import pandas as pd
    import torch
    n, width = len(lengths), outputs[0].shape[1]
    device = outputs[0].device   # the weights meet the KLs on the model's device (a GPU)
    valid = torch.arange(width, device=device)[None, :] < torch.as_tensor(lengths, device=device)[:, None]
    if p.positions == "last":
        valid = torch.zeros_like(valid)
        valid[torch.arange(n, device=device), torch.as_tensor(lengths - 1, device=device)] = True
    weight = valid.float() / valid.sum(1, keepdim=True)
    tops = {role: f.argmax(-1) for role, f in finals.items()}
    cols: dict[str, list] = {k: [] for k in ("layer", "kl_donor", "kl_recipient", "top1_donor", "top1_recipient")}
    for layer, hidden in enumerate(outputs):
        logp = torch.log_softmax(receiver.decode(hidden).float(), -1)
        prob = logp.exp()
        cols["layer"].append(np.full(n, layer))
        for role in ("donor", "recipient"):
            kl = (prob * (logp - finals[role])).sum(-1).clamp_min(0.0)
            cols[f"kl_{role}"].append(((kl * weight).sum(1)).cpu().numpy())
            cols[f"top1_{role}"].append((((logp.argmax(-1) == tops[role]).float() * weight).sum(1)).cpu().numpy())
    table = pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
    table.insert(0, "item", np.tile(np.asarray(index), len(outputs)))
    table.insert(1, "direction", direction)
    table.insert(2, "graft", label(chosen))
    table.insert(3, "n_layers", len(chosen))
    in_late = table[table["layer"].isin(late)].groupby("item")[["kl_donor", "kl_recipient"]].mean()
    table["late_kl_donor"] = table["item"].map(in_late["kl_donor"])
    table["late_kl_recipient"] = table["item"].map(in_late["kl_recipient"])
    if p.positions == "last":   # shares over one position are plain booleans
        table["top1_donor"] = table["top1_donor"] > 0.5
        table["top1_recipient"] = table["top1_recipient"] > 0.5
    return table


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "direction", "graft", "n_layers", "layer", "kl_donor", "kl_recipient",
            "top1_donor", "top1_recipient", "late_kl_donor", "late_kl_recipient")


def cost(p: Params, ctx: CostContext) -> Cost:
    sized = sequence_tokens(ctx, p.data, cap=p.max_length)
    if sized is None:
        return Cost(note=UNKNOWN_DATA)
    tokens = sized[0] * sized[1]
    n_donor, n_recipient = ctx.model_params(p.donor), ctx.model_params(p.recipient)
    if n_donor is None or n_recipient is None:
        return Cost(tokens=tokens, note=UNKNOWN_MODEL)
    receivers = n_recipient + (n_donor if p.both_directions else 0)
    passes = n_donor + n_recipient + p.grafts * receivers
    return Cost(flops=2.0 * passes * tokens, tokens=tokens,
                note=f"2·D·(N_donor + N_recipient + {p.grafts} graft(s) × the receiving model(s))")


OP = Op(name="probe.graft", version=2, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="data", run=run)
