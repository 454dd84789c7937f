"""Standardised effect size between two conditions, with a t-test.

Compares `value` where column `condition` equals `treatment` against rows where
it equals `control`: e.g. diff at alpha 8 vs alpha 0 (a steering shift in σ),
or sycophancy of the 5%-injection model vs vanilla. With `paired_by`, rows are
matched on that column (e.g. item) and the paired effect (d_z) and paired t-test
are used; unmatched rows are dropped.

Output: one row per `per` combination:

    <per columns>
    n_treatment, n_control        rows (pairs, when paired) in each group
    mean_treatment, mean_control  group means of value
    difference                    mean_treatment - mean_control
    effect_size                   difference in standard deviations (see measure)
    p_value                       two-sided t-test (Welch, or paired)

Cost: CPU only, no model FLOPs.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from .._common import Scalar, analysis_cost
from .._op import Op, OpParams
from ._table import Column, Per, Table, apart_from


class Params(OpParams):
    table: Table
    value: Column = Field(description="Column to compare, e.g. diff or correct.")
    condition: Annotated[Column, apart_from("value")] = Field(description=(
        "Column whose values define the two groups, e.g. alpha, model or inject."))
    treatment: Scalar = Field(description="Value of `condition` for the treatment group.")
    control: Scalar = Field(description="Value of `condition` for the control group.")
    paired_by: Annotated[Column | None, apart_from("value", "condition")] = Field(
        default=None, description=(
            "Match treatment and control rows on this column (e.g. item) for a paired "
            "effect and test: far more power when the same items appear in both groups."))
    measure: Literal["cohens_d", "hedges_g", "glass_delta"] = Field(
        default="cohens_d", description=(
            "cohens_d (default; pooled SD, or SD of the differences when paired), "
            "hedges_g (d corrected for small samples) or glass_delta (control SD only: "
            "use when the treatment changes the spread)."))
    per: Annotated[Per, apart_from("value", "condition", "paired_by")] = []

    @field_validator("control")
    @classmethod
    def _two_groups(cls, value: Scalar, info: ValidationInfo) -> Scalar:
        if "treatment" in info.data and info.data["treatment"] == value:
            raise ValueError(f"control equals treatment ({value!r}): they must name two "
                             "different groups")
        return value


def columns(p: Params) -> tuple[str, ...]:
    return (*p.per, "n_treatment", "n_control", "mean_treatment", "mean_control",
            "difference", "effect_size", "p_value")


OP = Op(name="analyse.effect_size", version=1, params=Params, produces="table", doc=__doc__,
        cost=analysis_cost, columns=columns)
