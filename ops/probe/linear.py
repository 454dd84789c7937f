"""Linear probe: can a label be read off the activations at each layer?

Trains one L2-regularised logistic regression per layer on a probe.activations
table, predicting the `label` column (carried from the activations' data), and
reports held-out predictions. Items are split into train and test once, the same
split for every layer, so layers are compared on the same test items. With
`group`, all rows sharing a group value land on the same side of the split (no
leakage between near-duplicate items of one template or paradigm).

Output: one row per held-out item × layer:

    item       the item's index (as in the activations table)
    layer      block index
    target     the item's true label
    predicted  the probe's prediction
    correct    predicted == target

Held-out accuracy at a layer is mean(correct) where layer == k; compare it with
the majority-class rate, not with 0.5, when classes are unbalanced.

Cost: CPU only (scikit-learn on stored activations), no model FLOPs.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .._common import Layers, Seed, differs_from
from .._op import ColumnOf, Cost, CostContext, Op, OpParams, TableRef

ACTIVATIONS_COLUMN = ColumnOf(("activations",))


class Params(OpParams):
    activations: TableRef = Field(description=(
        "A probe.activations stage (pooling last or mean: one vector per item and layer)."))
    label: Annotated[str, ACTIVATIONS_COLUMN] = Field(min_length=1, description=(
        "Column to predict, carried from the activations' data, e.g. context_condition."))
    group: Annotated[str | None, ACTIVATIONS_COLUMN, differs_from("label")] = Field(
        default=None, min_length=1, description=(
            "Column whose values never straddle the train/test split, e.g. UID or a "
            "template id. None (default) = split items independently."))
    layers: Layers = "all"
    test_fraction: float = Field(default=0.2, gt=0.0, lt=1.0, description=(
        "Share of items (or groups) held out for testing. 0.2-0.3 is usual; raise it "
        "when the test set is too small for a tight accuracy interval."))
    C: float = Field(default=1.0, gt=0.0, description=(
        "Inverse L2 regularisation strength (scikit-learn's C). Lower it when "
        "d_model is large relative to the number of training items."))
    standardize: bool = Field(default=True, description=(
        "Scale each activation dimension to zero mean, unit variance (fitted on the "
        "training split) before fitting; keeps C comparable across layers."))
    seed: Seed = None


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "layer", "target", "predicted", "correct")


def cost(p: Params, ctx: CostContext) -> Cost:
    return Cost(note="CPU logistic regression on stored activations; no model FLOPs")


OP = Op(name="probe.linear", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns)
