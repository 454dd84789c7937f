"""Scoring two alternative texts by log-probability: shared by eval.logprob_pairs and
probe.steer, which scores the same pairs under a steering intervention.

Scored text = prompt + context + separator + alternative. Only the alternative's
tokens are summed (or averaged); the prompt and the per-item context condition
them. `correct` is logp_good > logp_bad (a tie counts as wrong).

The three fields naming an item's texts must name three different fields: `Bad` and
`Context` check it, so an op declares good, bad, context in that order.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

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


def pair_requests(items: Any, prompts: list[str], good: str, bad: str, context: str | None,
                  separator: str, encode: Any, bos: tuple[int, ...]) -> list:
    """Requests in the order prompt × item × (good, bad): prompt + [context + separator] +
    alternative, with only the alternative scored (see `_segments` for the tokenization)."""
    from ._scorer import Request
    from ._segments import split_trailing_space

    goods = [str(v) for v in items[good]]
    bads = [str(v) for v in items[bad]]
    contexts = [str(v) for v in items[context]] if context else [None] * len(goods)
    requests = []
    for prompt in prompts:
        head, space = split_trailing_space(prompt)
        segments = []
        for c, g, b in zip(contexts, goods, bads):
            ctx_text, lead = ("", space) if c is None else split_trailing_space(space + c + separator)
            segments.append((ctx_text, lead + g, lead + b))
        encode.add([s for triple in segments for s in triple] + [head])
        prefix = bos + encode(head)
        for ctx_text, g, b in segments:
            ctx_ids = encode(ctx_text)
            requests.append(Request(prefix, ctx_ids, encode(g)))
            requests.append(Request(prefix, ctx_ids, encode(b)))
    return requests
