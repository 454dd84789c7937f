"""Linear probe: can a label be read off the activations at each layer?

Fits one probe per layer on a probe.activations stage, predicting the `label`
column carried from the activations' data, by seeded k-fold cross-validation:
every item is held out exactly once, the same folds at every layer, so layers
are compared on the same items. With `group`, all items sharing a group value
fall in the same fold (no leakage between near-duplicates of one template or
paradigm); folds are stratified by label when the classes allow it. The same
folds are then run again on labels shuffled across items (seeded): a probe that
"decodes" shuffled labels above the majority rate is reading noise or the
label's base rate, not a representation (Hewitt & Liang's control, simplified).

    estimator: logistic  L2-regularised logistic regression (C)
    estimator: ridge     ridge classifier (alpha = 1 / C), faster on wide models

Output: one row per held-out item × layer × control (fold-level accuracy is
mean(correct) by [layer, fold]), the items' own columns carried alongside:

    item       the item's index (as in the activations table)
    layer      block index
    fold       0 .. folds-1: the fold that held the item out
    control    "real" or "shuffled"
    target     the label the probe had to predict (the shuffled one in controls)
    predicted  the probe's prediction
    correct    predicted == target
    majority   the majority-class rate of the fold's training labels: chance

Cost: CPU only (scikit-learn on stored activations), no model FLOPs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from .._common import Layers, Seed, differs_from
from .._op import ColumnOf, Cost, CostContext, Op, OpParams, TableRef

if TYPE_CHECKING:
    import pandas as pd

ACTIVATIONS_COLUMN = ColumnOf(("activations",))
INDEX = ("item", "layer", "position", "shard", "row")


class Params(OpParams):
    activations: TableRef = Field(description=(
        "A probe.activations stage (one vector per item and layer: pooling other than all)."))
    label: Annotated[str, ACTIVATIONS_COLUMN] = Field(min_length=1, description=(
        "Column to predict, carried from the activations' data, e.g. context_condition."))
    group: Annotated[str | None, ACTIVATIONS_COLUMN, differs_from("label")] = Field(
        default=None, min_length=1, description=(
            "Column whose values never straddle folds, e.g. UID or a template id. None "
            "(default) = items are split independently."))
    layers: Layers = Field(default="all", description=(
        "Layers to probe, as in probe.activations (resolved against the model's depth); "
        "\"all\" (default) = every layer the activations hold."))
    folds: int = Field(default=5, ge=2, description=(
        "Cross-validation folds. 5 (default) holds out 20% per fold; every item is "
        "predicted once by a probe that never saw it."))
    estimator: Literal["logistic", "ridge"] = Field(default="logistic", description=(
        "logistic (default; L2 logistic regression) or ridge (a ridge classifier: "
        "closed form, faster for wide models)."))
    C: float = Field(default=1.0, gt=0.0, description=(
        "Inverse regularisation strength (scikit-learn's C; ridge uses alpha = 1/C). "
        "Lower it when d_model is large relative to the number of training items."))
    standardize: bool = Field(default=True, description=(
        "Scale each activation dimension to zero mean, unit variance (fitted on the "
        "training folds) before fitting; keeps C comparable across layers."))
    shuffled_control: bool = Field(default=True, description=(
        "Also fit on labels shuffled across items (rows with control: shuffled): the "
        "accuracy a probe gets from nothing but the label distribution."))
    seed: Seed = None


def run(p: Params, ctx) -> "pd.DataFrame":
    import pandas as pd

    from ._layers import LayerError, resolve_layers
    from ._store import load_activations, load_vectors, read_meta

    frames = []
    for index, folder in load_activations(ctx, p.activations):
        meta = read_meta(folder)
        if meta["pooling"] == "all":
            raise ValueError(f"probe.linear needs one vector per item and layer, but stage "
                             f"{p.activations!r} kept every token (pooling: all)")
        if p.label not in index.columns:
            raise KeyError(f"stage {p.activations!r} has no column {p.label!r} to predict")
        try:   # "all": every layer the activations hold
            wanted = meta["layers"] if p.layers == "all" else resolve_layers(p.layers, meta["depth"])
        except LayerError as err:
            raise LayerError(f"stage {p.activations!r}: {err}") from None
        missing = sorted(set(wanted) - set(meta["layers"]))
        if missing:
            raise LayerError(f"layers {missing} were not recorded by stage {p.activations!r} "
                             f"(it holds {meta['layers']})")
        items = index[index["layer"] == wanted[0]].sort_values("item").reset_index(drop=True)
        labels = items[p.label].astype(str).to_numpy()
        groups = items[p.group].astype(str).to_numpy() if p.group else None
        folds = fold_ids(labels, groups, p.folds, p.seed)
        shuffled = np.random.default_rng([p.seed, 1]).permutation(labels)
        controls = [("real", labels)] + ([("shuffled", shuffled)] if p.shuffled_control else [])
        mine = []
        for layer in wanted:
            rows = index[index["layer"] == layer].set_index("item").loc[items["item"]].reset_index()
            x = load_vectors(folder, rows)
            for control, y in controls:
                predicted, majority = cross_predict(x, y, folds, p)
                mine.append(pd.DataFrame({
                    "item": items["item"].to_numpy(), "layer": layer, "fold": folds,
                    "control": control, "target": y, "predicted": predicted,
                    "correct": predicted == y, "majority": majority}))
        carried = items.drop(columns=[c for c in items.columns if c in INDEX or c in columns(p)])
        frames += [frame.join(carried) for frame in mine]
    table = pd.concat(frames, ignore_index=True)
    summary = table.groupby(["layer", "control"])["correct"].mean().round(4)
    ctx.log("held-out accuracy by layer and control: " + summary.to_json())
    return table


def fold_ids(labels: np.ndarray, groups: np.ndarray | None, folds: int, seed: int) -> np.ndarray:
    """Seeded fold of each item: stratified by label, grouped when groups are given."""
    from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold
    n_units = len(set(groups)) if groups is not None else len(labels)
    if n_units < folds:
        raise ValueError(f"{n_units} {'groups' if groups is not None else 'items'} cannot fill "
                         f"{folds} folds: lower `folds`")
    _, counts = np.unique(labels, return_counts=True)
    stratify = counts.min() >= folds   # every class in every fold
    if groups is not None:
        splitter = (StratifiedGroupKFold if stratify else GroupKFold)(folds, shuffle=True, random_state=seed)
    else:
        splitter = (StratifiedKFold if stratify else KFold)(folds, shuffle=True, random_state=seed)
    out = np.empty(len(labels), dtype=np.int64)
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        out[test] = k
    return out


def cross_predict(x: np.ndarray, y: np.ndarray, folds: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Held-out predictions of every item, and the training majority rate of its fold."""
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    predicted = np.empty(len(y), dtype=object)
    majority = np.empty(len(y))
    for k in np.unique(folds):
        test, train = folds == k, folds != k
        values, counts = np.unique(y[train], return_counts=True)
        majority[test] = counts.max() / counts.sum()
        if len(values) == 1:   # nothing to learn: predict the only label seen
            predicted[test] = values[0]
            continue
        model = (LogisticRegression(C=p.C, max_iter=2000) if p.estimator == "logistic"
                 else RidgeClassifier(alpha=1.0 / p.C))
        steps = [StandardScaler(), model] if p.standardize else [model]
        predicted[test] = make_pipeline(*steps).fit(x[train], y[train]).predict(x[test])
    return predicted.astype(str), majority


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "layer", "fold", "control", "target", "predicted", "correct", "majority")


def cost(p: Params, ctx: CostContext) -> Cost:
    return Cost(note="CPU cross-validated probes on stored activations; no model FLOPs")


OP = Op(name="probe.linear", version=2, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, run=run)
