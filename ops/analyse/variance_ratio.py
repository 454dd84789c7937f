"""Between- vs within-condition variance: do conditions matter more than seeds?

First averages `value` per run: per combination of the `conditions` columns and
the replicate column `unit` (e.g. seed). Then a one-way analysis of variance over
conditions, with the runs of a condition as its replicates (e.g. 5 conditions ×
10 seeds = 50 runs):

    var_between  variance of the condition means
    var_within   mean over conditions of the variance between their runs
    ratio        var_between / var_within
    icc1         ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW), k = runs per
                 condition: the share of run-to-run variance due to condition
    f, p_value   the one-way ANOVA F = MSB / MSW and its p-value

Output: one row per `per` combination: <per columns>, n_conditions, n_units,
var_between, var_within, ratio, icc1, f, p_value. Unequal runs per condition use
the usual k0 correction in ICC(1).

Cost: CPU only, no model FLOPs.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .._common import analysis_cost
from .._op import Op, OpParams
from ._table import Column, ColumnList, Per, Table, apart_from


class Params(OpParams):
    table: Table
    value: Column = Field(description="Column to analyse, e.g. correct or diff.")
    conditions: Annotated[ColumnList, apart_from("value")] = Field(min_length=1, description=(
        "Columns that together define a condition, e.g. [model, inject]."))
    unit: Annotated[Column, apart_from("value", "conditions")] = Field(
        default="seed", validate_default=True, description=(
            "Replicate column: runs of one condition differ in it (default seed). Rows "
            "are averaged per condition and unit before the analysis."))
    per: Annotated[Per, apart_from("value", "conditions", "unit")] = []


def columns(p: Params) -> tuple[str, ...]:
    return (*p.per, "n_conditions", "n_units", "var_between", "var_within", "ratio",
            "icc1", "f", "p_value")


OP = Op(name="analyse.variance_ratio", version=1, params=Params, produces="table", doc=__doc__,
        cost=analysis_cost, columns=columns)
