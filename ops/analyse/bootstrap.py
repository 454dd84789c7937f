"""Bootstrap confidence interval of a column's mean (or median).

Resamples rows, or whole clusters of rows sharing `unit` (e.g. item, so that the
prompts of one item move together and the interval is not falsely narrow), and
reports the statistic with its interval.

Output: one row per `per` combination:

    <per columns>
    n         rows (or units, with `unit`) resampled
    estimate  the statistic on the original data
    ci_low    lower end of the interval
    ci_high   upper end of the interval

Cost: CPU only, no model FLOPs.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .._common import Seed, analysis_cost
from .._op import Op, OpParams
from ._table import Column, Per, Table, apart_from


class Params(OpParams):
    table: Table
    value: Column = Field(description="Column to summarise, e.g. correct or diff.")
    statistic: Literal["mean", "median"] = Field(default="mean", description=(
        "mean (default; accuracy when value is correct) or median (robust to outliers)."))
    unit: Annotated[Column | None, apart_from("value")] = Field(default=None, description=(
        "Resample clusters of rows sharing this column (e.g. item, UID) instead of "
        "single rows. Use it whenever rows are not independent. None = rows."))
    per: Annotated[Per, apart_from("value", "unit")] = []
    level: float = Field(default=0.95, gt=0.0, lt=1.0, description=(
        "Confidence level of the interval, e.g. 0.95."))
    method: Literal["bca", "percentile", "basic"] = Field(default="bca", description=(
        "bca (default; bias-corrected and accelerated, best coverage for skewed "
        "statistics), percentile or basic."))
    resamples: int = Field(default=10_000, ge=100, description=(
        "Bootstrap resamples. 10,000 gives stable 95% bounds; lower it for smoke runs."))
    seed: Seed = None


def columns(p: Params) -> tuple[str, ...]:
    return (*p.per, "n", "estimate", "ci_low", "ci_high")


OP = Op(name="analyse.bootstrap", version=1, params=Params, produces="table", doc=__doc__,
        cost=analysis_cost, columns=columns)
