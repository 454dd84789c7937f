"""Carrying an item source's own columns into an eval table, so measures can group by them."""
from __future__ import annotations

from typing import Any


def with_item_columns(table: Any, items: Any, ctx: Any) -> Any:
    """The items' columns (UID, field, context_condition ...) joined onto each row by its
    `item` index. A column named like one of the op's own is not carried; the clash is logged."""
    clash = [c for c in items.columns if c in table.columns]
    if clash:
        ctx.log(f"item columns {clash} not carried: the table has its own columns of that name")
    return table.join(items.drop(columns=clash).reset_index(drop=True), on="item")
