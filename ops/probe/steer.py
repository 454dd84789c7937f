"""Steering sweep: edit the residual stream along a stored direction and score pairs.

Takes directions from a probe.diff_means stage, applies them to the output of the
decoder blocks in `layers` at every token position (context and alternative alike,
as in activation addition), and scores the items' good/bad alternatives exactly as
eval.logprob_pairs does, once per α in `alphas` (`alphas: [${alpha}]` makes α an
axis of the design instead):

    mode: add       h <- h + α·d                 (α 0 is the identity)
    mode: project   h <- h + (α − 1)(d·h)d       (α 1 is the identity, 0 ablates d,
                                                  2 doubles the component along d)

Each layer gets its own direction (the diff_means row of that layer) unless
`direction_layer` names one layer's direction for all. Include the identity α: it
is the unsteered baseline every shift is measured against; it installs no hook,
so its scores are bit-identical to the unsteered model's. With `random_control`,
every α is run again with a random direction of the same norm per layer (seeded):
a shift that a random direction also causes is not about the concept.

The edit is `steering()` from ops/probe/_steering.py, which eval.generate also uses.

Output: one row per item × vector × α, the items' own columns carried alongside:

    item        0-based index of the item in `items`
    alpha       the α of this row
    vector      learned (the stored direction) or random (the control)
    logp_good   log-probability of the good alternative under steering
    logp_bad    same for the bad alternative
    diff        logp_good - logp_bad
    correct     diff > 0

Cost: 2·N·D over items × alphas × vectors × 2 alternatives.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from .._common import BatchTokens, Bos, InferPrecision, Layers, Seed, Tokenizer, Unique, forward_cost
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams, TableRef
from ..eval._pairs import PAIR_COLUMNS, Bad, Context, Good, Reduction, Separator

if TYPE_CHECKING:
    import pandas as pd


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to steer: a `models:` entry or a model-producing stage. Usually the model "
        "the directions were computed on."))
    tokenizer: Tokenizer = None
    directions: TableRef = Field(description="A probe.diff_means stage.")
    layers: Layers = Field(description=(
        "Blocks whose outputs are edited: indices, negative indices, fractions of depth "
        "or slices (\"4:6\" = blocks 4 and 5)."))
    direction_layer: Annotated[int, Field(ge=0)] | None = Field(default=None, description=(
        "Use the direction stored for this block at every steered layer. None (default): "
        "each layer its own. Set it to transfer a direction found at one layer."))
    mode: Literal["add", "project"] = Field(default="add", description=(
        "add: h + α·d (identity α = 0); project: rescale the component along d, "
        "h + (α − 1)(d·h)d (identity α = 1; α = 0 ablates it)."))
    alphas: Annotated[list[float], Unique] = Field(min_length=1, description=(
        "Steering strengths, one set of rows each. Include the identity (0 for add, 1 "
        "for project) as the baseline; negative values steer away from the concept."))
    random_control: bool = Field(default=False, description=(
        "Also steer with a random direction of the same norm per layer (rows with "
        "vector: random), seeded: the shift an arbitrary direction causes."))
    items: DataRef = Field(description="Data source of the pairs to score, one record per item.")
    good: Good
    bad: Bad
    context: Context = None
    separator: Separator = " "
    reduction: Reduction = "sum"
    seed: Seed = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384


def run(p: Params, ctx) -> "pd.DataFrame":
    import pandas as pd

    from .._lm import bos_prefix, load_lm, load_tokenizer, max_positions
    from ..eval._items import with_item_columns
    from ..eval._pairs import pair_requests
    from ..eval._scorer import check_lengths, score
    from ..eval._segments import Encoder
    from ._layers import anatomy
    from ._steering import steering
    from .activations import model_layers

    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = load_lm(ctx, p.model, tok, p.precision)
    layers = model_layers(p.layers, anatomy(lm).depth, p.model)
    learned = stored_directions(ctx.table(p.directions), layers, p.direction_layer, p.model, p.directions)
    vectors = [("learned", learned)]
    if p.random_control:
        vectors.append(("random", random_like(learned, p.seed)))
    items = ctx.data(p.items).to_pandas()
    requests = pair_requests(items, [""], p.good, p.bad, p.context, p.separator, Encoder(tok),
                             tuple(bos_prefix(tok, p.bos)))
    check_lengths(requests, max_positions(lm))
    frames = []
    for name, direction in vectors:
        for alpha in p.alphas:
            with steering(lm, direction, alpha, layers, mode=p.mode):
                scores = score(lm, requests, batch_tokens=ctx.batch_size(p.batch_tokens))
            logp = scores.logprob / scores.tokens if p.reduction == "mean" else scores.logprob
            frame = pd.DataFrame({"item": np.arange(len(items)), "alpha": alpha, "vector": name,
                                  "logp_good": logp[0::2], "logp_bad": logp[1::2]})
            frame["diff"] = frame["logp_good"] - frame["logp_bad"]
            frame["correct"] = frame["diff"] > 0
            frames.append(frame)
    ctx.record(layers=layers, mode=p.mode, reduction=p.reduction,
               direction_norms={k: float(np.linalg.norm(v)) for k, v in learned.items()})
    return with_item_columns(pd.concat(frames, ignore_index=True), items, ctx)


def stored_directions(table, layers: list[int], direction_layer, model: str, stage: str) -> dict[int, np.ndarray]:
    """{steered layer: vector} from a probe.diff_means table."""
    by_layer = {int(r.layer): np.asarray(r.direction, dtype=np.float32) for r in table.itertuples()}
    if len(by_layer) != len(table):
        raise ValueError(f"stage {stage!r} holds several directions per layer: steer reads one task's")
    wanted = {layer: layer if direction_layer is None else direction_layer for layer in layers}
    missing = sorted({s for s in wanted.values() if s not in by_layer})
    if missing:
        raise ValueError(f"model {model!r}: stage {stage!r} has no direction for layer(s) {missing} "
                         f"(it has {sorted(by_layer)}): add them to its layers or set direction_layer")
    return {layer: by_layer[source] for layer, source in wanted.items()}


def random_like(directions: dict[int, np.ndarray], seed: int) -> dict[int, np.ndarray]:
    """A random direction per layer with the norm of the learned one (seeded)."""
    rng = np.random.default_rng([seed, 2])
    out = {}
    for layer, d in directions.items():
        r = rng.standard_normal(d.shape).astype(np.float32)
        out[layer] = r / np.linalg.norm(r) * np.linalg.norm(d)
    return out


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "alpha", "vector") + PAIR_COLUMNS


def cost(p: Params, ctx: CostContext) -> Cost:
    vectors = 2 if p.random_control else 1
    return forward_cost(ctx, p.model, p.items, sequences_per_record=2 * len(p.alphas) * vectors,
                        note="2·N·D over items × alphas × vectors × 2 alternatives")


OP = Op(name="probe.steer", version=2, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="items", run=run)
