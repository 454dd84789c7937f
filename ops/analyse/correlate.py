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
    r         the coefficient (Spearman ρ, Pearson r or Kendall τ; scipy's)
    p_value   two-sided p-value of r = 0 (scipy's)
    ci_low    Fisher-z interval at `level` (Spearman and Kendall with Fieller's
    ci_high   variances; the formula the verdicts use); empty below 4-5 pairs

With a y_table the reference is joined to every `per` group: one human norm
against the model at each checkpoint gives the r-against-training curve.

Cost: CPU only, no model FLOPs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from .._common import Unique, analysis_cost
from .._op import ColumnOf, Op, OpParams, TableOrDataRef
from ._table import Column, ColumnList, Per, Table, apart_from, not_among

if TYPE_CHECKING:
    import pandas as pd

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
    level: float = Field(default=0.95, gt=0.0, lt=1.0, description=(
        "Confidence level of the Fisher-z interval, e.g. 0.95."))

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


def run(p: Params, ctx) -> "pd.DataFrame":
    import pandas as pd

    table = ctx.table(p.table)
    keys, per = list(p.x_by), list(p.per)
    xs = _means(table, p.x, per + keys, p.table).rename(columns={p.x: "__x"})
    if p.y_table is None:
        ys = _means(table, p.y, per + keys, p.table).rename(columns={p.y: "__y"})
        both = xs.join(ys).reset_index(drop=not (per or keys))
    else:
        ys = _means(ctx.table(p.y_table), p.y, list(p.y_by or keys), p.y_table)
        ys = ys.rename(columns={p.y: "__y"}).reset_index()
        ys.columns = keys + ["__y"]      # y_by names -> x_by names, position by position
        both = xs.reset_index().merge(ys, on=keys)   # the reference joins every per group
    both = both.dropna(subset=["__x", "__y"])
    rows = []
    groups = both.groupby(per, sort=True) if per else [((), both)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(per, key)),
                     **correlation(part["__x"].to_numpy(float), part["__y"].to_numpy(float), p.method, p.level)})
    return pd.DataFrame(rows, columns=columns(p))


def _means(table, column: str, by: list[str], name: str):
    missing = [c for c in [column, *by] if c not in table.columns]
    if missing:
        raise KeyError(f"table {name!r} has no column(s) {missing} (it has {', '.join(map(str, table.columns))})")
    if not by:
        return table[[column]].astype(float)
    return table.groupby(by)[[column]].mean(numeric_only=False)


def correlation(x, y, method: str, level: float) -> dict:
    """scipy's coefficient and p-value, and the Fisher-z interval."""
    import numpy as np
    from scipy import stats

    from specc.measures.correlations import fisher_z_interval
    n = len(x)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"n": n, "r": float("nan"), "p_value": float("nan"), "ci_low": float("nan"),
                "ci_high": float("nan")}
    fn = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}[method]
    result = fn(x, y)
    r, p_value = float(result.statistic), float(result.pvalue)
    interval = fisher_z_interval(r, n, method, level) or (float("nan"), float("nan"))
    return {"n": n, "r": r, "p_value": p_value, "ci_low": interval[0], "ci_high": interval[1]}


def columns(p: Params) -> tuple[str, ...]:
    return (*p.per, "n", "r", "p_value", "ci_low", "ci_high")


OP = Op(name="analyse.correlate", version=2, params=Params, produces="table", doc=__doc__,
        cost=analysis_cost, columns=columns, run=run)
