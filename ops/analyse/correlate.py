"""Correlate two columns, optionally from two tables joined on keys.

x comes from `table`, averaged over rows that share `x_by` (e.g. per-paradigm
accuracy: x: correct, x_by: [UID]; or one score per item over prompts: x_by:
[item]). y comes from the same table, or from `y_table` joined on `y_by` =
`x_by` (e.g. human judgements per paradigm: y_table: humans, y: total_mean,
y_by: [Condition]); y is averaged the same way. Rows without a partner are
dropped and counted out of n.

With `per`, one correlation per combination (e.g. per checkpoint, for a curve of
correlation against training tokens; per item group; per frequency bin).

Output: one row per `per` combination:

    <per columns>
    n         pairs correlated
    r         the coefficient (Spearman ρ, Pearson r or Kendall τ)
    p_value   two-sided p-value of r = 0

Cost: CPU only, no model FLOPs.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from .._common import Unique, analysis_cost
from .._op import ColumnOf, Op, OpParams, TableOrDataRef
from ._table import Column, ColumnList, Per, Table, apart_from, not_among

# y and its keys name columns of y_table when it is set, else of table.
YColumn = Annotated[str, ColumnOf(("y_table", "table")), Field(min_length=1)]


class Params(OpParams):
    table: Table
    x: Column = Field(description="Column of `table` holding the first variable.")
    x_by: Annotated[ColumnList, apart_from("x")] = Field(default=[], description=(
        "Average x over rows sharing these columns before correlating; also the join "
        "key with y_table. [] (default) = correlate row by row."))
    y_table: TableOrDataRef | None = Field(default=None, description=(
        "Table holding y, joined to `table` on y_by = x_by. None (default) = y is a "
        "column of `table`."))
    y: YColumn = Field(description="Column holding the second variable.")
    y_by: Annotated[list[YColumn], Unique] | None = Field(default=None, description=(
        "Key columns of y_table matching x_by, position by position (e.g. [Condition] "
        "for x_by [UID]). None (default) = the same names as x_by."))
    per: Annotated[Per, apart_from("x", "x_by")] = []
    method: Literal["spearman", "pearson", "kendall"] = Field(default="spearman", description=(
        "spearman (default; rank correlation, robust to monotone non-linearity and "
        "outliers), pearson (linear) or kendall (ranks, better with many ties)."))

    @field_validator("y_table")
    @classmethod
    def _join_needs_keys(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("x_by") == []:
            raise ValueError("a y_table is joined on keys: set x_by (and y_by if the "
                             "key columns are named differently there)")
        return value

    @field_validator("y")
    @classmethod
    def _y(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("y_table") is None:
            return not_among(value, info, "x", "x_by")
        return value

    @field_validator("y_by")
    @classmethod
    def _y_by(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return value
        if info.data.get("y_table") is None:
            raise ValueError("y_by names key columns of y_table; set y_table or drop y_by")
        x_by = info.data.get("x_by")
        if x_by is not None and len(value) != len(x_by):
            raise ValueError(f"y_by has {len(value)} column(s) but x_by has {len(x_by)}: "
                             "they pair up position by position")
        return value


def columns(p: Params) -> tuple[str, ...]:
    return (*p.per, "n", "r", "p_value")


OP = Op(name="analyse.correlate", version=1, params=Params, produces="table", doc=__doc__,
        cost=analysis_cost, columns=columns)
