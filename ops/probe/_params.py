"""Param types the probe ops share: which token positions represent a text."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, WrapValidator

from .._common import DATA_COLUMN
from .._op import OpParams


class EndOf(OpParams):
    """A named position: the last token of a field's text inside the probed text."""

    end_of: Annotated[str, DATA_COLUMN] = Field(min_length=1, description=(
        "Field whose text begins each probed text, e.g. one_prefix_prefix inside "
        "sentence_good: the row is the token where that prefix ends (just before the "
        "word that must agree with it)."))


NAMES = ("last", "first", "mean", "all")


def _check_pooling(value: object, handler: object) -> object:
    # By hand, not by the union (which shapes the JSON Schema): one plain message.
    if isinstance(value, str) and value in NAMES:
        return value
    if isinstance(value, dict) and set(value) == {"end_of"}:
        return handler(value)
    raise ValueError("expected one of 'last', 'first', 'mean', 'all', or a named position "
                     f"{{end_of: FIELD}}; got {value!r}")


Pooling = Annotated[
    Literal["last", "first", "mean", "all"] | EndOf,
    WrapValidator(_check_pooling),
    Field(description=(
        "Which token positions represent a text: last (the final token, which has read "
        "the whole text; default), first, mean (average over tokens), all (one row per "
        "token: large), or a named position {end_of: FIELD} (the last token of the "
        "item's FIELD, which must begin the text).")),
]


def pooling_name(pooling: object) -> str:
    return "named" if isinstance(pooling, EndOf) else str(pooling)
