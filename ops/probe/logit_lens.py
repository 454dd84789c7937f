"""Logit lens: how close is each layer's prediction to the model's final one?

Decodes the residual stream after each layer the way the model decodes its last
block (its final norm, OPT's output projection, then the unembedding; `final_norm:
false` skips the norm) and compares that next-token distribution with the model's
own output. All layers come from one forward pass per batch (forward hooks on the
blocks), plus one projection per layer. At the last block the lens is the model's
output exactly: KL 0.

    lens: logit   the plain logit lens (nostalgebraist, 2020)
    lens: tuned   a tuned lens (Belrose et al., 2023): an affine translator per
                  layer, trained on `translator_data` to minimise KL(final ‖ lens),
                  saved in the artifact as translators.pt (the stage's cache keeps it)

The commitment layer of a prediction is the first layer from which the final top-1
token stays top-1 at every later evaluated layer (with `commit_kl`: from which KL
stays below it). A prediction that never settles before the end gets last + 1.

Output: one row per item × position × layer, the data's own columns carried alongside:

    item              0-based index of the record in `data`
    position          token index of the prediction (the last one with positions: last)
    layer             block index
    kl                KL(layer ‖ final), nats
    entropy           entropy of the layer's distribution, nats
    top1_agree        the layer's top-1 token is the final top-1 token
    committed         layer >= commitment_layer
    commitment_layer  the prediction's commitment layer (same on all its rows)

Cost: 2·N·D over the texts; the per-layer unembeddings (2·d_model·vocab per
token and layer) are not counted.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from .._common import (BatchTokens, Bos, InferPrecision, Layers, MaxLength, Seed, TextField,
                       Tokenizer, forward_cost)
from .._op import ColumnOf, Cost, CostContext, DataRef, ModelRef, Op, OpParams

if TYPE_CHECKING:
    import pandas as pd


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
    commit_kl: Annotated[float, Field(gt=0.0)] | None = Field(default=None, description=(
        "None (default): a prediction commits at the layer from which its final top-1 "
        "token stays top-1. A number: from which KL(layer ‖ final) stays below it, in nats."))
    lens: Literal["logit", "tuned"] = Field(default="logit", description=(
        "logit (default): decode each layer directly. tuned: through a per-layer affine "
        "translator trained on translator_data first."))
    translator_data: DataRef | None = Field(default=None, description=(
        "Texts the tuned lens's translators are trained on (lens: tuned). Use text the "
        "probed items are not drawn from."))
    translator_field: Annotated[str, ColumnOf(("translator_data",))] = Field(default="text", min_length=1, description=(
        "Record field holding translator_data's text (ignored for plain-text files)."))
    translator_steps: int = Field(default=200, ge=0, description=(
        "Adam steps of translator training (minibatches of 512 positions)."))
    translator_lr: float = Field(default=1e-3, gt=0.0, description="Translator learning rate.")
    translator_tokens: int = Field(default=50_000, gt=0, description=(
        "At most this many positions of translator_data are kept for training (their "
        "hidden states at every layer are held in memory)."))
    seed: Seed = None
    max_length: MaxLength = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384


def run(p: Params, ctx) -> "pd.DataFrame":
    import torch

    from .._lm import bos_prefix, load_lm, load_tokenizer, max_positions
    from ..eval._items import with_item_columns
    from ._forward import check_fits, forward_batches
    from ._layers import anatomy
    from ._texts import probe_texts
    from .activations import model_layers

    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = load_lm(ctx, p.model, tok, p.precision)
    parts = anatomy(lm)
    layers = model_layers(p.layers, parts.depth, p.model)
    bos = bos_prefix(tok, p.bos)
    items, texts = probe_texts(ctx, p.data, p.text_field, tok, bos, p.max_length)
    check_fits(texts, max_positions(lm), f"model {p.model!r}")
    translators = fit_translators(p, ctx, lm, parts, tok, bos, layers) if p.lens == "tuned" else None

    columns_: dict[str, list] = {k: [] for k in ("item", "position", "layer", "kl", "entropy", "top1_agree")}
    agree_rows, kl_rows = [], []
    for batch in forward_batches(lm, texts, ctx.batch_size(p.batch_tokens), [parts.blocks[i] for i in layers],
                                 logits=True):
        with torch.inference_mode():
            rows, cols = _positions(batch.lengths, p.positions)
            final = torch.log_softmax(batch.logits[rows, cols].float(), -1)
            top = final.argmax(-1)
            stats = []
            for k, layer in enumerate(layers):
                tr = translators.at(layer) if translators is not None else None
                stats.append(_stats(parts, batch.outputs[k][rows, cols], final, top, p.final_norm, tr))
        agree = np.stack([s["top1_agree"] for s in stats], 1)
        kl = np.stack([s["kl"] for s in stats], 1)
        agree_rows.append(agree)
        kl_rows.append(kl)
        item = np.asarray(batch.index)[rows.cpu().numpy()]
        for k, layer in enumerate(layers):
            columns_["item"].append(item)
            columns_["position"].append(cols.cpu().numpy())
            columns_["layer"].append(np.full(len(item), layer))
            for name in ("kl", "entropy", "top1_agree"):
                columns_[name].append(stats[k][name])
    return with_item_columns(_table(columns_, agree_rows, kl_rows, layers, p), items, ctx)


def _stats(parts, hidden, final, top, norm, translator) -> dict[str, np.ndarray]:
    from ._lens import layer_stats
    out = layer_stats(parts, hidden, final, top, norm=norm, translator=translator)
    return {k: v.cpu().numpy() for k, v in out.items()}


def _positions(lengths: np.ndarray, which: str):
    """(row, column) index tensors of the predictions that count in a padded batch."""
    import torch
    if which == "last":
        return torch.arange(len(lengths)), torch.as_tensor(lengths - 1)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    cols = np.concatenate([np.arange(n) for n in lengths])
    return torch.as_tensor(rows), torch.as_tensor(cols)


def _table(columns_, agree_rows, kl_rows, layers, p: Params) -> "pd.DataFrame":
    import pandas as pd

    from ._lens import commitment
    table = pd.DataFrame({k: np.concatenate(v) for k, v in columns_.items()})
    settled = np.concatenate(agree_rows) if p.commit_kl is None else np.concatenate(kl_rows) < p.commit_kl
    per_prediction = commitment(settled, layers)   # one per (item, position), batch order
    # Rows were written layer-major within each batch: repeat each batch's commitments per layer.
    sizes = [len(a) for a in agree_rows]
    table["commitment_layer"] = np.concatenate([
        np.tile(chunk, len(layers)) for chunk in np.split(per_prediction, np.cumsum(sizes)[:-1])])
    table["committed"] = table["layer"] >= table["commitment_layer"]
    return table.sort_values(["item", "position", "layer"], kind="stable").reset_index(drop=True)


def fit_translators(p: Params, ctx, lm, parts, tok, bos, layers):
    """Train (or load from this task's resume folder) the tuned lens's translators and
    save them in the artifact."""
    import torch

    from ._lens import train_translators
    from ._texts import probe_texts
    if p.translator_data is None:
        raise ValueError("lens: tuned needs translator_data: the texts its translators learn from")
    _, texts = probe_texts(ctx, p.translator_data, p.translator_field, tok, bos, p.max_length)
    frozen = [q.requires_grad for q in lm.parameters()]
    for q in lm.parameters():
        q.requires_grad_(False)   # only the translators learn; the shared model stays clean
    try:
        with torch.enable_grad():
            tr, losses = train_translators(lm, parts, texts, layers, p.translator_steps, p.translator_lr,
                                           ctx.batch_size(p.batch_tokens), p.seed, p.translator_tokens)
    finally:
        for q, flag in zip(lm.parameters(), frozen):
            q.requires_grad_(flag)
    torch.save(tr.state(), ctx.out / "translators.pt")
    ctx.record(translator_steps=p.translator_steps,
               translator_loss_first=round(losses[0], 4) if losses else None,
               translator_loss_last=round(losses[-1], 4) if losses else None)
    return tr


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "position", "layer", "kl", "entropy", "top1_agree", "committed", "commitment_layer")


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.data, cap=p.max_length,
                        note="2·N·D over the texts; per-layer unembeddings not counted")


OP = Op(name="probe.logit_lens", version=2, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="data", run=run)
