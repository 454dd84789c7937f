"""Perplexity of held-out text, with a sliding window over long documents.

Each document (a record of `data`; a plain-text file is one document) is cut into
windows of `window` tokens that start every `stride` tokens. Each token is scored
once, by the window that gives it the most context: with stride < window every
scored token after the first window sees at least window - stride tokens of
context. stride = window is fastest but leaves tokens at window starts with
little context, which inflates perplexity.

Output: one row per document:

    doc            0-based index of the document in `data`
    tokens         tokens scored
    bytes          UTF-8 bytes of the document's text
    nll            total negative log-likelihood (nats)
    nll_per_token  nll / tokens
    ppl            exp(nll / tokens)
    bits_per_byte  nll / (bytes × ln 2): comparable across tokenizers

Corpus-level perplexity is exp(sum(nll) / sum(tokens)), not mean(ppl): sum the
columns when documents differ in length.

Cost: 2·N·D, D = data tokens × window / stride (each overlap is recomputed).
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from .._common import BatchTokens, Bos, InferPrecision, TextField, Tokenizer, model_cost
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams

DEFAULT_OVERLAP = 2.0  # window / stride when stride is left to its default


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to evaluate: a `models:` entry or a model-producing stage."))
    tokenizer: Tokenizer = None
    data: DataRef = Field(description=(
        "Held-out text: a data source or `source.split` (e.g. corpus.heldout). Never "
        "the training split: that measures memorisation."))
    text_field: TextField = "text"
    window: Annotated[int, Field(gt=1)] | None = Field(default=None, description=(
        "Tokens per window. None (default) = the model's maximum context length. "
        "Compare models at the same window: longer context lowers perplexity."))
    stride: Annotated[int, Field(gt=0)] | None = Field(default=None, description=(
        "Tokens between window starts, at most `window`. None (default) = window / 2. "
        "Smaller strides give each token more context and cost window/stride more."))
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384

    @field_validator("stride")
    @classmethod
    def _stride_fits(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None or "window" not in info.data:
            return value
        window = info.data["window"]
        if window is None:
            raise ValueError("an explicit stride needs an explicit window: the default "
                             "window (the model's context length) is unknown here")
        if value > window:
            raise ValueError(f"stride ({value}) exceeds window ({window}): tokens between "
                             "windows would never be scored")
        return value


def columns(p: Params) -> tuple[str, ...]:
    return ("doc", "tokens", "bytes", "nll", "nll_per_token", "ppl", "bits_per_byte")


def cost(p: Params, ctx: CostContext) -> Cost:
    stats = ctx.data_stats(p.data)
    overlap = p.window / p.stride if p.window and p.stride else DEFAULT_OVERLAP
    tokens = stats.tokens * overlap if stats is not None else None
    return model_cost(ctx, p.model, tokens, 2,
                      note=f"2·N·D, D = data tokens × {overlap:g} (window / stride)")


OP = Op(name="eval.perplexity", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns)
