"""Param types the table analyses share: the source table and column-list params.

Analyses read a table stage (or a tabular data source) and name its columns:
the stage's own columns, its condition columns (model, seed, checkpoint ...) and
the columns it carries from its items. Column names are plain strings here; the
compiler checks them against what the named table provides. A column plays one
role in an analysis: `apart_from` rejects a column named again by an earlier param.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

from .._common import Unique
from .._op import ColumnOf, TableOrDataRef

Table = Annotated[
    TableOrDataRef,
    Field(description=(
        "Table to analyse: a stage that produces a table (eval, probe or analyse), or a "
        "tabular data source (CSV, JSONL, Parquet).")),
]

Column = Annotated[str, ColumnOf(("table",)), Field(min_length=1)]  # checked by the compiler

ColumnList = Annotated[list[Column], Unique]

Per = Annotated[
    ColumnList,
    Field(description=(
        "Columns to compute separately for: one output row per combination of their "
        "values, e.g. [model, checkpoint] for a curve over training. [] (default) = "
        "one result over all rows.")),
]


def not_among(value: object, info: ValidationInfo, *others: str) -> object:
    """Field-validator body: the column(s) in `value` must not appear in earlier fields."""
    mine = value if isinstance(value, list) else [value]
    for other in others:
        theirs = info.data.get(other)
        theirs = theirs if isinstance(theirs, list) else [theirs]
        both = [c for c in mine if c is not None and c in theirs]
        if both:
            raise ValueError(f"column(s) {both} also appear in `{other}`; a column can "
                             "play only one role")
    return value


def apart_from(*others: str) -> AfterValidator:
    """`Annotated[ColumnList, apart_from("value")]`: no column of this param is in `others`.

    `others` are params declared earlier (pydantic validates fields in order).
    """
    def check(value: object, info: ValidationInfo) -> object:
        return not_among(value, info, *others)
    return AfterValidator(check)
