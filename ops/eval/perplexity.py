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

Windows and BOS: window k starts at k × stride and scores the tokens after the
previous window's end, with the tokens before them in the window as context. A window
keeps at least one token of the one before it, so stride = window advances by
window - 1 and no token goes unscored for want of context. With `bos` the first window
starts with the tokenizer's BOS token, so a document's first token is scored too
(`tokens` = its token count; without BOS, one fewer); later windows start mid-text.
`window`, `stride`, `bos` and the tokens scored are recorded.

Cost: 2·N·D, D = data tokens × window / stride (each overlap is recomputed).
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Annotated

import numpy as np

from pydantic import Field, ValidationInfo, field_validator

from .._common import BatchTokens, Bos, InferPrecision, TextField, Tokenizer, model_cost
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams

if TYPE_CHECKING:
    import pandas as pd

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


def windows(n: int, window: int, stride: int) -> list[tuple[int, int, int]]:
    """(start, first scored, end) of each window over `n` tokens: tokens [first, end) are
    scored with [start, first) as context; consecutive windows share >= 1 token."""
    step = min(stride, window - 1)
    spans, start, done = [], 0, 0
    while done < n:
        end = min(start + window, n)
        spans.append((start, done, end))
        start, done = start + step, end
    return spans


def window_requests(ids: list[int], bos: tuple[int, ...], window: int, stride: int) -> list:
    """Scorer requests covering one document: the first window's BOS is its prefix (so its
    first token is scored), later windows' overlaps are their context."""
    from ._scorer import Request
    if not ids:
        return []   # nothing to score (and an empty row would reach the model)
    seq = tuple(bos) + tuple(ids)
    out = []
    for start, first, end in windows(len(seq), window, stride):
        if start == 0:   # without BOS the scorer leaves the document's first token unscored
            out.append(Request(seq[:len(bos)], (), seq[len(bos):end]))
        else:
            out.append(Request((), seq[start:first], seq[first:end]))
    return out


def run(p: Params, ctx) -> "pd.DataFrame":
    import pandas as pd

    from .._lm import bos_prefix, documents, load_lm, load_tokenizer, max_positions
    from ._scorer import score

    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = load_lm(ctx, p.model, tok, p.precision)
    limit = max_positions(lm)
    window = p.window or limit
    if window is None:
        raise ValueError("the model has no fixed context length: set `window`")
    if limit is not None and window > limit:
        raise ValueError(f"window ({window}) exceeds the model's context length ({limit})")
    stride = p.stride or max(1, window // 2)
    bos = tuple(bos_prefix(tok, p.bos))

    texts = documents(ctx, p.data, p.text_field)
    # verbose=False: a document longer than model_max_length is expected here (windows).
    ids = tok(texts, add_special_tokens=False, verbose=False)["input_ids"] if texts else []
    requests, doc_of = [], []
    for d, doc_ids in enumerate(ids):
        reqs = window_requests(doc_ids, bos, window, stride)
        requests += reqs
        doc_of += [d] * len(reqs)
    t0 = time.perf_counter()
    scores = score(lm, requests, batch_tokens=ctx.batch_size(p.batch_tokens), progress=ctx.progress)
    seconds = time.perf_counter() - t0

    doc_of = np.array(doc_of, dtype=np.int64)
    nll = -np.bincount(doc_of, weights=scores.logprob, minlength=len(texts))
    tokens = np.bincount(doc_of, weights=scores.tokens, minlength=len(texts)).astype(np.int64)
    size = np.array([len(t.encode("utf-8")) for t in texts], dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):   # an empty document gives NaN
        table = pd.DataFrame({"doc": np.arange(len(texts)), "tokens": tokens, "bytes": size,
                              "nll": nll, "nll_per_token": nll / tokens, "ppl": np.exp(nll / tokens),
                              "bits_per_byte": nll / (size * math.log(2))})
    total = int(tokens.sum())
    ctx.record(window=window, stride=stride, effective_stride=min(stride, window - 1), bos=p.bos,
               bos_token_id=bos[0] if bos else None, documents=len(texts), tokens=total,
               corpus_ppl=float(math.exp(nll.sum() / total)) if total else None,
               score_seconds=round(seconds, 3), **scores.stats)
    return table


def columns(p: Params) -> tuple[str, ...]:
    return ("doc", "tokens", "bytes", "nll", "nll_per_token", "ppl", "bits_per_byte")


def cost(p: Params, ctx: CostContext) -> Cost:
    stats = ctx.data_stats(p.data)
    overlap = p.window / p.stride if p.window and p.stride else DEFAULT_OVERLAP
    tokens = stats.tokens * overlap if stats is not None else None
    return model_cost(ctx, p.model, tokens, 2,
                      note=f"2·N·D, D = data tokens × {overlap:g} (window / stride)")


OP = Op(name="eval.perplexity", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, run=run)
