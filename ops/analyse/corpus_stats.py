"""Corpus statistics for word pairs: how often "A and B" vs "B and A" occur.

For each item of `items` (a word pair in fields `first`, `second`), counts the
occurrences in `corpus` of `pattern` filled in both orders, matched as whole
words, and bins pairs by how frequent they are overall. It is the frequency
baseline for word-order preferences: does a model prefer "salt and pepper"
because it saw it more often than "pepper and salt"?

Output: one row per item, the items' own columns carried alongside:

    item       0-based index of the pair in `items`
    count_ab   occurrences of the pattern with (first, second)
    count_ba   occurrences with (second, first)
    total      count_ab + count_ba
    log_ratio  ln((count_ab + 1) / (count_ba + 1)): add-one smoothed preference
    freq_bin   quantile bin of total, 0 (rarest) to bins - 1; ties share a bin

Cost: CPU only (one pass over the corpus), no model FLOPs.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from .._common import TextField, data_pass_cost, differs_from, placeholders
from .._op import Cost, CostContext, DataRef, Op, OpParams


class Params(OpParams):
    corpus: DataRef = Field(description=(
        "Text to count in, usually the models' training data (corpus.train)."))
    text_field: TextField = "text"
    items: DataRef = Field(description="Word pairs, one record per item.")
    first: str = Field(min_length=1, description="Field holding word A of each pair.")
    second: Annotated[str, differs_from("first")] = Field(
        min_length=1, description="Field holding word B of each pair.")
    pattern: str = Field(default="{first} and {second}", description=(
        "Phrase to count, with {first} and {second} where the words go; counted once "
        "as written and once with the words swapped. Change it for \"A or B\" etc."))
    lowercase: bool = Field(default=True, description=(
        "Match case-insensitively (default), so sentence-initial \"Salt and pepper\" "
        "counts too."))
    bins: int = Field(default=5, gt=0, description=(
        "Number of frequency bins (quantiles of total). 1 disables binning."))

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        names = placeholders(value, "pattern")
        if sorted(names) != ["first", "second"]:
            raise ValueError("pattern must contain {first} and {second} once each, and no "
                             f"other placeholder; got {names}")
        return value


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "count_ab", "count_ba", "total", "log_ratio", "freq_bin")


def cost(p: Params, ctx: CostContext) -> Cost:
    return data_pass_cost(ctx, p.corpus, "CPU pattern counting over the corpus; no model FLOPs")


OP = Op(name="analyse.corpus_stats", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="items")
