"""Difference-of-means directions, per layer: within one model, or across two.

    within  (negative: FIELD)    each record holds a positive and a negative text
                                 (a sycophantic and a candid reply; a grammatical
                                 and an ungrammatical sentence); both run through
                                 `model`; d = mean(positive) − mean(negative)
    across  (reference: MODEL)   the same `positive` texts run through `model` and
                                 through `reference` (same width and depth, same
                                 tokenizer); d = mean(model) − mean(reference): e.g.
                                 the tuned-minus-pretrained direction

Activations are read at `site` and pooled by `pooling` (the probe.activations
choices). probe.steer adds the stored directions back in.

Output: one row per layer:

    layer       block index
    direction   the direction vector (list of floats, d_model long); unit length
                when normalize is true (a zero difference stays the zero vector)
    norm        length of the raw mean difference (before normalising)
    separation  gap between the two sets' projections onto the direction, in pooled
                standard deviations (Cohen's d, in sample): pick layers where the
                concept is linearly present; 0 when the difference is 0
    n           number of records averaged
    cosine      with `cosine_to`: cosine between this difference and that stage's
                direction at the same layer (e.g. how far a fine-tuned checkpoint moved
                along an "assistant axis": Instruct minus base); NaN for a zero difference

Cost: 2·N·D over both sets of texts.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, model_validator

from .._common import (BatchTokens, Bos, InferPrecision, Layers, MaxLength, Site,
                       Tokenizer, differs_from, forward_cost)
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams, TableRef
from ._params import Pooling

if TYPE_CHECKING:
    import pandas as pd


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to read: a `models:` entry or a model-producing stage."))
    reference: Annotated[ModelRef | None, differs_from("model")] = Field(default=None, description=(
        "A second model read on the same texts: the direction is model minus reference "
        "(across models). None (default): within `model`, positive minus negative."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description="Texts, one record per pair (or per prompt, across models).")
    positive: str = Field(min_length=1, description=(
        "Field holding the text that shows the concept (the direction points towards it); "
        "across models, the texts both models read."))
    negative: Annotated[str | None, differs_from("positive")] = Field(default=None, min_length=1, description=(
        "Field holding the matched text without the concept; keep pairs otherwise "
        "identical so the difference isolates it. Leave unset across models."))
    layers: Layers = "all"
    site: Site = "residual"
    pooling: Pooling = "last"
    cosine_to: TableRef | None = Field(default=None, description=(
        "A probe.diff_means stage (one task) whose direction at each layer this one is "
        "compared with: adds a `cosine` column. None (default): no comparison."))
    normalize: bool = Field(default=True, description=(
        "Store unit-length directions, so a steering alpha is an absolute residual-"
        "stream length. False keeps the raw difference: alpha 1 adds it in full."))
    max_length: MaxLength = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384

    @model_validator(mode="after")
    def _one_contrast(self) -> "Params":
        if (self.negative is None) == (self.reference is None):
            raise ValueError("set exactly one of `negative` (a direction within the model, "
                             "positive minus negative texts) and `reference` (across models, "
                             "model minus reference on the positive texts)")
        return self


def run(p: Params, ctx) -> "pd.DataFrame":
    import pandas as pd

    from .._lm import bos_prefix, load_lm, load_tokenizer, max_positions
    from ._forward import check_fits, encode_texts, pooled
    from ._layers import anatomy
    from ._params import pooling_name
    from ._texts import named_positions
    from .activations import model_layers

    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    bos = bos_prefix(tok, p.bos)
    items = ctx.data(p.data).to_pandas().reset_index(drop=True)
    budget = ctx.batch_size(p.batch_tokens)

    def read(model: str, field: str) -> tuple[list[int], list[np.ndarray]]:
        lm = load_lm(ctx, model, tok, p.precision)
        parts = anatomy(lm)
        layers = model_layers(p.layers, parts.depth, model)
        texts = encode_texts(tok, [str(t) for t in items[field]], bos, p.max_length)
        check_fits(texts, max_positions(lm), f"model {model!r}")
        named = named_positions(items, p.pooling, tok, bos, texts, model)
        modules = [parts.site(p.site)[i] for i in layers]
        return layers, pooled(lm, modules, texts, budget, pooling_name(p.pooling), named)

    layers, first = read(p.model, p.positive)
    if p.reference is None:
        _, second = read(p.model, p.negative)
    else:
        ref_layers, second = read(p.reference, p.positive)
        if ref_layers != layers or first[0].shape != second[0].shape:
            raise ValueError(f"models {p.model!r} and {p.reference!r} differ in depth or width "
                             f"(layers {layers} vs {ref_layers}, width {first[0].shape[1]} vs "
                             f"{second[0].shape[1]}): a direction across them needs equal shapes")
    rows = [direction_row(layer, a, b, p.normalize) for layer, a, b in zip(layers, first, second)]
    if p.cosine_to is not None:
        from .steer import stored_directions
        axis = stored_directions(ctx.table(p.cosine_to), layers, None, p.model, p.cosine_to)
        for row, a, b in zip(rows, first, second):
            row["cosine"] = cosine(a.astype(np.float64).mean(0) - b.astype(np.float64).mean(0),
                                   axis[row["layer"]])
    ctx.record(layers=layers, contrast="across models" if p.reference else "within model")
    return pd.DataFrame(rows)


def direction_row(layer: int, a: np.ndarray, b: np.ndarray, normalize: bool) -> dict:
    """Direction mean(a) − mean(b), its raw norm and the in-sample separation of a and b
    along it (Cohen's d with the pooled standard deviation)."""
    diff = a.astype(np.float64).mean(0) - b.astype(np.float64).mean(0)
    norm = float(np.linalg.norm(diff))
    unit = diff / norm if norm > 0 else diff
    separation = 0.0
    if norm > 0:
        pa, pb = a @ unit, b @ unit
        pooled_sd = np.sqrt((pa.var(ddof=1) + pb.var(ddof=1)) / 2) if len(pa) > 1 else 0.0
        separation = float((pa.mean() - pb.mean()) / pooled_sd) if pooled_sd > 0 else float("inf")
    vector = unit if normalize else diff
    return {"layer": layer, "direction": vector.astype(np.float32).tolist(), "norm": norm,
            "separation": separation, "n": len(a)}


def cosine(u: np.ndarray, v: np.ndarray) -> float:
    """cos(u, v); NaN when either is the zero vector (no direction to compare)."""
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0 or nv == 0:
        return float("nan")
    # clipped: the stored axis is float32, so |cos| of parallel vectors can exceed 1 by 1e-8
    return float(np.clip(np.dot(u, v.astype(np.float64)) / (nu * nv), -1.0, 1.0))


def columns(p: Params) -> tuple[str, ...]:
    return ("layer", "direction", "norm", "separation", "n") + (("cosine",) if p.cosine_to else ())


def cost(p: Params, ctx: CostContext) -> Cost:
    return forward_cost(ctx, p.model, p.data, sequences_per_record=2, cap=p.max_length,
                        note="2·N·D over both sets of texts")


OP = Op(name="probe.diff_means", version=3, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, run=run)
