"""LLM-as-judge scoring that is deterministic: the judge's probabilities over the score
labels, never a parsed sample.

Each response row (of an eval.generate stage, or any table with the response text) is
rendered into the rubric `template`, whose {response} is the response and whose other
{placeholders} are the row's columns ({prompt}, the items' own fields ...), optionally in
the judge's chat template with a system prompt. The judge then scores each label of
`scale` as the continuation of that text, in one forward pass per response (the shared
scorer of the eval ops: the labels share their context, which is projected once). The
label log-probabilities, normalised over the scale, give:

    score         expected score: sum over labels of p(label) × value(label)
    score_argmax  the value of the most probable label (a tie goes to the first)
    score_label   that label
    p_0 ...       p(label) for each label, in the order of `scale`
    judge         the judge model's name in the spec (an axis value when judges vary)

plus every column of the responses table. Several judges become an axis
(`conditions: {judge: [a, b]}`, `judge: ${judge}`): the `judge` column then tells their
rows apart, and measures can correlate one judge's scores with another's by item.

A label is scored as it follows the rendered text: trailing spaces lead every label, and a
text that ends in neither a space nor a newline gets one ("...Score:" + " 4"); after a
chat template's opened assistant turn ("...assistant\n") the label follows directly. A label that is
not a single token under the judge's tokenizer is scored as the sum of its tokens'
log-probs, and this is logged. The judge's identity (its spec entry, or the artifact
and checkpoint it was read from), the template, chat template and scale are recorded.

Cost: 2·N·D over responses × (rendered rubric + label).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, field_validator, model_validator

from .._common import BatchTokens, Bos, InferPrecision, Tokenizer, Unique, text_tokens
from .._op import ColumnOf, Cost, CostContext, ModelRef, Op, OpParams, TableRef
from ._prompting import ChatTemplate, System, check_system, check_template

if TYPE_CHECKING:
    import pandas as pd

RESPONSE = "response"
OWN_COLUMNS = ("score", "score_argmax", "score_label", "judge")


class Params(OpParams):
    judge: ModelRef = Field(description=(
        "The judge: a `models:` entry or a model-producing stage. `${judge}` with a `judge` "
        "axis runs several judges on the same responses."))
    tokenizer: Tokenizer = None
    responses: TableRef = Field(description=(
        "Stage whose table holds the responses, one row each: usually an eval.generate stage."))
    response: Annotated[str, ColumnOf(("responses",))] = Field(default="text", min_length=1, description=(
        "Column of the responses table holding the text to judge (eval.generate: text)."))
    template: Annotated[str, ColumnOf(("responses",), template=True, reserved=(RESPONSE,))] = Field(
        min_length=1, description=(
            "The rubric, a format string: {response} is the response, other {names} are "
            "columns of the responses table ({prompt}, the items' fields ...). It should end "
            "where the score is written, e.g. \"...\\nScore (1-5):\"."))
    scale: Annotated[list[Annotated[str, Field(min_length=1)]], Unique] = Field(
        min_length=2, description=(
            "The score labels the judge chooses among, as text (e.g. [\"1\", \"2\", \"3\", "
            "\"4\", \"5\"] or [\"Yes\", \"No\"]). Only these continuations are scored."))
    values: list[float] | None = Field(default=None, description=(
        "Numeric value of each label, in the order of `scale`, for the expected score. "
        "None (default): the labels read as numbers."))
    chat_template: ChatTemplate = None
    system: System = None
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384

    @field_validator("template")
    @classmethod
    def _has_response(cls, value: str) -> str:
        if RESPONSE not in check_template(value, "template"):
            raise ValueError("the rubric template has no {response}: the judge would never see "
                             "what it is judging; put {response} where the response goes")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Params":
        check_system(self.system, self.chat_template)
        if self.values is not None and len(self.values) != len(self.scale):
            raise ValueError(f"values has {len(self.values)} entries for {len(self.scale)} "
                             "labels in scale: give one value per label")
        if self.values is None:
            bad = [label for label in self.scale if _number(label) is None]
            if bad:
                raise ValueError(f"labels {bad} are not numbers: give `values`, one number per "
                                 "label of scale, for the expected score")
        return self

    @property
    def label_values(self) -> list[float]:
        return list(self.values) if self.values is not None else [_number(s) for s in self.scale]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def run(p: Params, ctx) -> "pd.DataFrame":
    import numpy as np

    from .._lm import bos_prefix, load_lm, load_tokenizer, max_positions
    from ._prompting import missing_fields, template_record
    from ._scorer import score

    tok = load_tokenizer(ctx, p.tokenizer, p.judge)
    lm = load_lm(ctx, p.judge, tok, p.precision)
    responses = ctx.table(p.responses).reset_index(drop=True)
    missing = missing_fields(p.template, responses.columns, (RESPONSE,))
    if p.response not in responses.columns:
        missing.insert(0, p.response)
    if missing:
        raise KeyError(f"the responses table of {p.responses!r} has no columns {missing} "
                       f"(it has {', '.join(map(str, responses.columns))})")
    bos = tuple(bos_prefix(tok, p.bos)) if p.chat_template is None else ()
    requests = judge_requests(p, responses, tok, bos)
    check_fits(requests, len(p.scale), max_positions(lm), responses, p.judge)
    t0 = time.perf_counter()
    scores = score(lm, requests, batch_tokens=ctx.batch_size(p.batch_tokens))
    seconds = time.perf_counter() - t0

    n, k = len(responses), len(p.scale)
    logp = scores.logprob.reshape(n, k)
    table = score_table(logp, p.scale, p.label_values)
    table["judge"] = p.judge
    label_tokens = {label: int(c) for label, c in zip(p.scale, scores.tokens.reshape(n, k).max(axis=0))} if n else {}
    split = [label for label, c in label_tokens.items() if c != 1]
    if split:
        ctx.log(f"score labels {split} are not single tokens under the judge's tokenizer: "
                "each is scored as the sum of its tokens' log-probs")
    ctx.record(judge=p.judge, judge_identity=judge_identity(ctx, p.judge), template=p.template,
               response_column=p.response, scale=list(p.scale), values=p.label_values,
               label_tokens=label_tokens, system=p.system, **template_record(tok, p.chat_template),
               bos=p.bos if p.chat_template is None else "from the chat template",
               responses=n, judge_seconds=round(seconds, 3),
               mean_score=float(np.mean(table["score"])) if n else None, **scores.stats)
    clash = [c for c in responses.columns if c in table.columns]
    if clash:
        ctx.log(f"response columns {clash} not carried: the judge's table has its own columns of that name")
    return responses.drop(columns=clash).join(table)


def check_fits(requests: list, k: int, limit: int | None, responses: Any, judge: str) -> None:
    """Every rubric + label within the judge's context; else an error naming the row."""
    if limit is None:
        return
    for i, r in enumerate(requests):
        if len(r.tokens) > limit:
            row = responses.iloc[i // k]
            where = ", ".join(f"{c} {row[c]}" for c in ("item", "sample") if c in responses.columns)
            raise ValueError(f"response row {i // k}{f' ({where})' if where else ''}: the rendered "
                             f"rubric and label are {len(r.tokens)} tokens; judge {judge!r} takes at "
                             f"most {limit}: shorten the template, the responses (max_new_tokens), "
                             "or use a judge with a longer context")


def judge_requests(p: Params, responses: Any, tok: Any, bos: tuple[int, ...]) -> list:
    """One request per response × label, in that order. The text all rubrics share up to
    their last common whitespace (the instructions before {response}) is one prefix, run
    once and cached for every response; cutting before whitespace keeps the tokens those
    of the whole text (byte-level BPE splits there too)."""
    import os

    from ._prompting import fill, render
    from ._scorer import Request
    from ._segments import Encoder

    records = responses.to_dict("records")
    texts = [render(tok, p.chat_template, p.system, fill(p.template, {**r, RESPONSE: r[p.response]}))
             for r in records]
    common = os.path.commonprefix(texts) if texts else ""
    cut = max((i for i, ch in enumerate(common) if ch.isspace()), default=0)
    encode = Encoder(tok)
    segments = []
    for text in texts:
        core, lead = label_lead(text[cut:])
        segments.append((core, [lead + label for label in p.scale]))
    encode.add([common[:cut]] + [s for core, targets in segments for s in (core, *targets)])
    prefix = bos + encode(common[:cut])
    return [Request(prefix, encode(core), encode(t)) for core, targets in segments for t in targets]


def label_lead(text: str) -> tuple[str, str]:
    """(context, what goes before every label). Trailing spaces lead the label (" 4" is one
    BPE token); a text ending in a newline (a chat template's opened assistant turn) is
    followed by the label directly; any other text gets one space before it."""
    core = text.rstrip(" \t")
    lead = text[len(core):]
    if not lead and not core.endswith(("\n", "\r")):
        lead = " "
    return core, lead


def score_table(logp: Any, scale: list[str], values: list[float]) -> "pd.DataFrame":
    """Expected score, argmax and per-label probabilities from log-probs (rows × labels)."""
    import numpy as np
    import pandas as pd
    shifted = np.exp(logp - logp.max(axis=1, keepdims=True))   # softmax without overflow
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    best = np.argmax(logp, axis=1)
    v = np.asarray(values, dtype=np.float64)
    table = pd.DataFrame({"score": probs @ v, "score_argmax": v[best],
                          "score_label": [scale[j] for j in best]})
    for j in range(len(scale)):
        table[f"p_{j}"] = probs[:, j]
    return table


def judge_identity(ctx: Any, name: str) -> dict[str, Any]:
    """What the judge is: its spec entry (hub id and revision, path, config), or the
    artifact and checkpoint of the stage that trained it."""
    payload = ctx.payload
    if name in payload.models:
        return {"spec_model": payload.models[name].model_dump(mode="json")}
    return {"artifacts": [{"key": a.key, **a.select} for a in payload.inputs.get(name, [])]}


def columns(p: Params) -> tuple[str, ...]:
    return OWN_COLUMNS + tuple(f"p_{j}" for j in range(len(p.scale)))


def cost(p: Params, ctx: CostContext) -> Cost:
    # How many responses there will be is not known before they are generated (the
    # compiler does not see upstream tables' sizes): no FLOPs are claimed, and the note says so.
    return Cost(note="2·N·D over responses × (rubric + label); the number of responses is "
                     f"unknown until generated (the rubric is ~{text_tokens(p.template):.0f} tokens)")


OP = Op(name="eval.judge", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="responses", run=run)
