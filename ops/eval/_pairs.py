"""Scoring two alternative texts by log-probability: shared by eval.logprob_pairs and
probe.steer, which scores the same pairs under a steering intervention.

Scored text = prompt + context + separator + alternative. Only the alternative's
tokens are summed (or averaged); the prompt and the per-item context condition
them. `correct` is logp_good > logp_bad (a tie counts as wrong).

The three fields naming an item's texts must name three different fields: `Bad` and
`Context` check it, so an op declares good, bad, context in that order.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .._common import ITEMS_COLUMN, differs_from

GOOD_DOC = ("Field of each item holding the text that should be more likely, e.g. "
            "sentence_good (BLiMP) or chosen (preference data).")
BAD_DOC = "Field of each item holding the text that should be less likely."

Good = Annotated[str, ITEMS_COLUMN, Field(min_length=1, description=GOOD_DOC)]
Bad = Annotated[str, ITEMS_COLUMN, Field(min_length=1, description=BAD_DOC), differs_from("good")]

Context = Annotated[
    str | None,
    ITEMS_COLUMN,
    Field(description=(
        "Field of each item holding a context placed before both alternatives, e.g. "
        "BLiMP's one_prefix_prefix or a preference pair's prompt: it conditions the "
        "alternatives but is not scored. None (default) = the alternatives stand alone.")),
    differs_from("good", "bad"),
]

Separator = Annotated[
    str,
    Field(description=(
        "Text between the context and each alternative (default one space). Use \"\" "
        "when alternatives already start with a space or newline. Unused without context.")),
]

Reduction = Annotated[
    Literal["sum", "mean"],
    Field(description=(
        "How token log-probs of an alternative combine: sum (default; total likelihood, "
        "the BLiMP convention) or mean (per token, neutralises length differences "
        "between alternatives).")),
]

PAIR_COLUMNS = ("logp_good", "logp_bad", "diff", "correct")
