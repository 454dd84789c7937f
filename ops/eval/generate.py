"""Free-running generation: each item's prompt, answered by the model in its own words.

Each item is rendered with `prompt` (a format string over the item's fields), optionally
wrapped in a chat template with a system prompt, and the model continues it, greedily or
by sampling (`samples` continuations per item). Generation runs on transformers'
`generate` with its KV cache, in left-padded batches under a token budget; sampling
draws every row from its own generator, seeded from (seed, item, sample), so the same
spec gives the same text whatever the batch size or an out-of-memory back-off (see
`_generation`). With a model stage that saves checkpoints, `over: [checkpoint]` gives
one task per checkpoint.

Output: one row per item × sample, the items' own columns carried alongside:

    item            0-based index of the item in `items`
    sample          0-based index of the continuation (0 when greedy)
    prompt          the rendered prompt (before the chat template): what a judge reads
    text            the continuation, special tokens dropped, cut before a stop string
    prompt_tokens   tokens the model read (chat template included, after truncation)
    new_tokens      tokens it generated (an ending eos or stop token included)
    finish_reason   eos (the model ended it), stop (a stop string), length (max_new_tokens)
    truncated_tokens  prompt tokens cut from the left (0 unless truncate: left)

With `steer`, every forward pass of generation (prompt and new tokens alike) runs with
α times a probe.diff_means direction added to the chosen blocks' outputs, or the
component along it rescaled (`mode: project`), through `steering()` of
ops/probe/_steering.py; the layers, α, mode and direction norms are recorded.

Bad input: a prompt that does not fit the model's context with max_new_tokens to spare
fails the task naming the item, unless `truncate: left` keeps its last tokens (each cut
is in `truncated_tokens` and counted in the manifest). The decoding settings, chat
template, system prompt, seeds, BOS policy and tokens/s are recorded.

Cost: 2·N·D with D = items × samples × (prompt + max_new_tokens) tokens: with a KV cache
each token costs one forward pass.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .._common import (BatchTokens, Bos, InferPrecision, Layers, Seed, Tokenizer, Unique, model_cost,
                       sequence_tokens, text_tokens)
from .._op import ColumnOf, Cost, CostContext, DataRef, ModelRef, Op, OpParams, TableRef
from ._prompting import ChatTemplate, System, check_system, check_template

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("item", "sample", "prompt", "text", "prompt_tokens", "new_tokens", "finish_reason",
           "truncated_tokens")


class Steer(OpParams):
    directions: TableRef = Field(description="A probe.diff_means stage: one direction per layer.")
    layers: Layers = Field(description=(
        "Blocks whose outputs are edited while generating: indices, negative indices, "
        "fractions of depth or slices (\"4:6\" = blocks 4 and 5)."))
    alpha: float = Field(description=(
        "Steering strength (`${alpha}` with an `alpha` axis sweeps it). The identity (0 for "
        "add, 1 for project) installs no hook: the unsteered baseline."))
    mode: Literal["add", "project"] = Field(default="add", description=(
        "add: h + α·d; project: h + (α − 1)(d·h)d (α 0 removes the component along d)."))
    direction_layer: Annotated[int, Field(ge=0)] | None = Field(default=None, description=(
        "Use the direction stored for this block at every steered layer. None (default): "
        "each layer its own."))


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model that generates: a `models:` entry or a model-producing stage (one task per "
        "checkpoint with `over: [checkpoint]`)."))
    tokenizer: Tokenizer = None
    items: DataRef = Field(description="Data source of the prompts, one record per item.")
    prompt: Annotated[str, ColumnOf(("items",), template=True)] = Field(min_length=1, description=(
        "The prompt as a format string over the item's fields, e.g. "
        "\"{context}\\n{question}\\nAnswer:\". Every {field} must be a field of the items "
        "(checked at compile time); write {{ and }} for literal braces."))
    chat_template: ChatTemplate = None
    system: System = None
    decoding: Literal["greedy", "sample"] = Field(default="greedy", description=(
        "greedy: the most likely token at each step (one continuation per item); sample: "
        "draw from the distribution shaped by temperature, top_k and top_p."))
    temperature: float = Field(default=1.0, gt=0, description="Sampling temperature.")
    top_p: float = Field(default=1.0, gt=0, le=1, description=(
        "Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p "
        "(1 = no filter)."))
    top_k: int = Field(default=0, ge=0, description="Keep the k most likely tokens (0 = no filter).")
    samples: int = Field(default=1, ge=1, description=(
        "Continuations per item (decoding: sample), each from its own seeded generator."))
    max_new_tokens: int = Field(default=64, gt=0, description="Most tokens generated per continuation.")
    stop: Annotated[list[Annotated[str, Field(min_length=1)]], Unique] = Field(
        default=[], description=(
            "Stop strings: generation ends once the text contains one; the text is cut "
            "before it (finish_reason stop). E.g. [\"\\n\"] for one-line answers."))
    truncate: Literal["error", "left"] = Field(default="error", description=(
        "A prompt too long for the model's context (with max_new_tokens to spare): error "
        "(default) fails the task naming the item; left keeps its last tokens (and BOS), "
        "recording how many were cut."))
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 8192
    seed: Seed = None
    steer: Steer | None = Field(default=None, description=(
        "Generate under steering: α times a probe.diff_means direction added to (or "
        "rescaling the component along it in) the output of the chosen blocks, at every "
        "prompt and generated position (the KV cache is computed under the same edit). "
        "Uses ops/probe/_steering.py, as probe.steer does."))

    @field_validator("prompt")
    @classmethod
    def _prompt_fields(cls, value: str) -> str:
        check_template(value, "prompt")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Params":
        check_system(self.system, self.chat_template)
        if self.decoding == "greedy":
            changed = [f"{name}: {getattr(self, name)}" for name, default in
                       (("temperature", 1.0), ("top_p", 1.0), ("top_k", 0), ("samples", 1))
                       if getattr(self, name) != default]
            if changed:
                raise ValueError(f"greedy decoding has one continuation and no sampling "
                                 f"settings, but {', '.join(changed)} is set: write decoding: "
                                 "sample, or drop them")
        return self


def run(p: Params, ctx) -> "pd.DataFrame":
    import numpy as np
    import pandas as pd

    from .._lm import load_lm, load_tokenizer
    from ._generation import Decoding, Row, generate, row_seed
    from ._items import with_item_columns
    from ._prompting import template_record

    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = load_lm(ctx, p.model, tok, p.precision)
    items = ctx.data(p.items).to_pandas()
    prompts, ids, cut = prompt_ids(p, items, tok, lm, ctx)
    seed = p.seed if p.seed is not None else ctx.seed
    rows = [Row(tuple(ids[i]), row_seed(seed, i, s)) for i in range(len(items)) for s in range(p.samples)]
    decoding = Decoding(sample=p.decoding == "sample", temperature=p.temperature, top_p=p.top_p,
                        top_k=p.top_k, max_new_tokens=p.max_new_tokens, stop=tuple(p.stop))
    eos = end_tokens(tok, lm)
    pad = tok.pad_token_id if tok.pad_token_id is not None else eos[0]
    around, steer_facts = steering_for(p, lm, ctx)
    t0 = time.perf_counter()
    outs, stats = generate(lm, tok, rows, decoding, batch_tokens=ctx.batch_size(p.batch_tokens),
                           eos_ids=eos, pad_id=pad, around=around)
    seconds = time.perf_counter() - t0

    item = np.repeat(np.arange(len(items)), p.samples)
    table = pd.DataFrame({
        "item": item, "sample": np.tile(np.arange(p.samples), len(items)),
        "prompt": [prompts[i] for i in item], "text": [o.text for o in outs],
        "prompt_tokens": [len(r.prompt) for r in rows], "new_tokens": [len(o.tokens) for o in outs],
        "finish_reason": [o.finish for o in outs], "truncated_tokens": [cut[i] for i in item]})
    ctx.record(decoding=p.decoding, temperature=p.temperature, top_p=p.top_p, top_k=p.top_k,
               samples=p.samples, max_new_tokens=p.max_new_tokens, stop=list(p.stop), seed=seed,
               prompt=p.prompt, system=p.system, **template_record(tok, p.chat_template),
               bos=p.bos if p.chat_template is None else "from the chat template",
               eos_token_ids=eos, pad_token_id=pad, items=len(items), rows=len(rows),
               truncated_items=int(sum(1 for c in cut if c)), batches=stats.batches,
               new_tokens=stats.new_tokens, generate_seconds=round(seconds, 3),
               new_tokens_per_s=round(stats.new_tokens / seconds, 1) if seconds > 0 else None,
               finish_reasons={r: int((table.finish_reason == r).sum()) for r in ("eos", "stop", "length")},
               **steer_facts)
    return with_item_columns(table, items, ctx)


def steering_for(p: Params, lm, ctx):
    """(a context-manager factory for each batch, facts to record) for `steer`; (None, {})
    without it."""
    if p.steer is None:
        return None, {}
    import numpy as np

    from ..probe._layers import anatomy
    from ..probe._steering import steering
    from ..probe.activations import model_layers
    from ..probe.steer import stored_directions

    s = p.steer
    layers = model_layers(s.layers, anatomy(lm).depth, p.model)
    directions = stored_directions(ctx.table(s.directions), layers, s.direction_layer, p.model,
                                   s.directions)
    facts = {"steer": {"directions": s.directions, "layers": layers, "alpha": s.alpha, "mode": s.mode,
                       "direction_layer": s.direction_layer,
                       "direction_norms": {k: float(np.linalg.norm(v)) for k, v in directions.items()}}}
    return (lambda: steering(lm, directions, s.alpha, layers, mode=s.mode)), facts


def prompt_ids(p: Params, items, tok, lm, ctx) -> tuple[list[str], list[list[int]], list[int]]:
    """Each item's rendered prompt, its token ids (fitted to the context) and the number of
    tokens truncation cut from it."""
    from .._lm import bos_prefix, max_positions
    from ._prompting import fill, missing_fields, render

    missing = missing_fields(p.prompt, items.columns)
    if missing:
        raise KeyError(f"prompt uses fields {missing} that the items of {p.items!r} do not have "
                       f"(they have {', '.join(map(str, items.columns))})")
    records = items.to_dict("records")
    prompts = [fill(p.prompt, r) for r in records]
    texts = [render(tok, p.chat_template, p.system, t) for t in prompts]
    # A chat template writes its own BOS; plain prompts follow the BOS policy.
    bos = bos_prefix(tok, p.bos) if p.chat_template is None else []
    ids = [bos + list(t) for t in tok(texts, add_special_tokens=False)["input_ids"]]
    limit = max_positions(lm)
    cut = [0] * len(ids)
    if limit is None:
        return prompts, ids, cut
    room = limit - p.max_new_tokens
    if room < len(bos) + 1:
        raise ValueError(f"max_new_tokens {p.max_new_tokens} leaves no room for a prompt in the "
                         f"model's context of {limit} tokens: lower max_new_tokens")
    for i, row in enumerate(ids):
        if len(row) <= room:
            continue
        if p.truncate == "error":
            raise ValueError(f"item {i}: its prompt is {len(row)} tokens, but the model's context "
                             f"of {limit} tokens leaves {room} with max_new_tokens "
                             f"{p.max_new_tokens} (prompt starts {prompts[i][:60]!r}): shorten "
                             "the prompt, lower max_new_tokens, or set truncate: left")
        cut[i] = len(row) - room
        ids[i] = bos + row[len(bos) + cut[i]:]
    if any(cut):
        ctx.log(f"truncate: left cut {sum(1 for c in cut if c)} prompts to {room} tokens "
                f"(at most {max(cut)} tokens cut from one)")
    return prompts, ids, cut


def end_tokens(tok, lm) -> list[int]:
    """Tokens that end a continuation: the tokenizer's eos and the model's generation eos
    (chat models end a turn with their own token, e.g. <|im_end|>)."""
    found = [tok.eos_token_id]
    configured = getattr(getattr(lm, "generation_config", None), "eos_token_id", None)
    found += configured if isinstance(configured, list) else [configured]
    out = list(dict.fromkeys(t for t in found if t is not None))
    if not out:
        raise ValueError("the tokenizer defines no eos token and the model's generation "
                         "config none either: generation could never end early")
    return out


def columns(p: Params) -> tuple[str, ...]:
    return COLUMNS


def cost(p: Params, ctx: CostContext) -> Cost:
    template = p.prompt.format_map(_Blank())
    sized = sequence_tokens(ctx, p.items, extra=text_tokens(template) + p.max_new_tokens)
    if sized is None:
        return model_cost(ctx, p.model, None, 2)
    records, per_seq = sized
    return model_cost(ctx, p.model, records * p.samples * per_seq, 2,
                      note=f"2·N·D, {p.samples} continuation(s) of up to {p.max_new_tokens} tokens per item")


class _Blank(dict):
    """format_map filler: every field renders empty (its text is in the record size)."""

    def __missing__(self, key: str) -> str:
        return ""


OP = Op(name="eval.generate", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="items", run=run)
