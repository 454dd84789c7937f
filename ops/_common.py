"""Pieces several ops share: param types with their descriptions, and cost helpers.

Param types carry their `Field(description=...)` with them so that every op that
uses, say, `TrainPrecision` documents it the same way; an op gives only the default.
Checks shared by several ops are validators to put in a param's `Annotated[...]`
(`Unique`, `differs_from`), so each rule is written once and read at the field.

Cost helpers turn "a model of N parameters sees D tokens" into a `Cost`, and
handle the two unknowns every estimate meets: a model whose size the compiler
cannot know (a hub model) and a data source it cannot measure (hub data).
"""
from __future__ import annotations

import string
from typing import Annotated, Literal, Sequence

from pydantic import AfterValidator, Field, NonNegativeInt, ValidationInfo, WrapValidator

from ._op import BYTES_PER_TOKEN, ColumnOf, Cost, CostContext, TokenizerRef

# Params naming a column of what `items` / `data` names: checked by the compiler.
ITEMS_COLUMN = ColumnOf(("items",))
DATA_COLUMN = ColumnOf(("data",))

UNKNOWN_MODEL = "model size unknown"
UNKNOWN_DATA = "data size unknown"


# --- param types -------------------------------------------------------------

def unique_list(values: list) -> list:
    """Validator for list params whose entries must be distinct (prompts, alphas ...)."""
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"duplicate values {sorted(set(map(repr, seen)))}: list each once")
    return values


# `Annotated[list[X], Unique]`: a list param whose entries must be distinct.
Unique = AfterValidator(unique_list)


def differs_from(*others: str) -> AfterValidator:
    """`Annotated[str, differs_from("good")]`: the value must differ from the fields `others`.

    Pydantic validates fields in order, so `others` must be declared earlier; one that
    failed its own validation is skipped. The error points at this field in the spec.
    """
    def check(value: object, info: ValidationInfo) -> object:
        for other in others:
            if value is not None and info.data.get(other) == value:
                raise ValueError(f"equals `{other}` ({value!r}); the two must differ")
        return value
    return AfterValidator(check)


def placeholders(text: str, what: str) -> list[str]:
    """Names of the {placeholders} in a format string, in order (repeats kept).

    ValueError naming the param (`what`) if it is malformed, e.g. unbalanced braces.
    """
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as err:
        raise ValueError(f"{what} is not a valid format string: {err}") from None


def _check_layers(value: object, handler: object) -> object:
    # Validated by hand, not by the union below (which only shapes the JSON Schema):
    # a bad value gets one plain message at the field, not one error per union branch.
    from .probe._layers import parse_entry
    if value == "all":
        return "all"
    if isinstance(value, list) and value:
        return unique_list([parse_entry(v) for v in value])
    raise ValueError(f'expected "all" or a non-empty list of layers (indices, negative indices '
                     f'from the end, fractions of depth, or slices such as "2/3:"), got {value!r}')


LayerEntry = int | Annotated[float, Field(ge=0.0, le=1.0)] | Annotated[str, Field(pattern=":")]

Layers = Annotated[
    Literal["all"] | Annotated[list[LayerEntry], Field(min_length=1)],
    WrapValidator(_check_layers),
    Field(description=(
        "Transformer blocks to read, 0-based (0 = output of the first block), or \"all\". "
        "Entries: an index, a negative index counting from the last block (-1 = last), a "
        "fraction of depth (0.5 = the middle block of any model), or a slice FROM:TO of "
        "those (\"2/3:\" = the last third, \"-4:\" = the last four). An index beyond a "
        "config-built model's depth is a compile error; otherwise it fails at run time.")),
]

Tokenizer = Annotated[
    TokenizerRef | None,
    Field(description=(
        "Tokenizer to use: a train.tokenizer stage. None (default) uses the model's own: "
        "the one saved with a hub model or with the stage that trained `model`. Needed "
        "for models built from config that were never trained with one.")),
]

Site = Annotated[
    Literal["residual", "mlp", "attention"],
    Field(description=(
        "Where in each block to read: residual (the residual stream after the block, the "
        "usual choice), mlp (the MLP's output) or attention (the attention output), both "
        "before they are added to the residual stream.")),
]

Seed = Annotated[
    int | None,
    Field(description=(
        "Random seed for this stage. None (default) uses the task's seed: the `seed` "
        "condition when the stage varies over it, else the spec's top-level seed. Set it "
        "only to pin this stage while other stages vary.")),
]

# Training and inference offer the same precisions; only the advice differs.
Precision = Literal["fp32", "bf16", "fp16"]

TrainPrecision = Annotated[
    Precision,
    Field(description=(
        "Numeric precision of training. fp32 runs everywhere (the safe default on CPU); "
        "bf16 is faster on Ampere-or-newer GPUs; fp16 needs a GPU and uses loss scaling. "
        "Set explicitly: it changes results and is recorded in the cache key.")),
]

InferPrecision = Annotated[
    Precision,
    Field(description=(
        "Numeric precision of the forward passes. fp32 (default) gives reference "
        "log-probs; bf16/fp16 halve memory on a GPU but shift log-probs slightly, "
        "so compare models only at the same precision.")),
]

Bos = Annotated[
    Literal["auto", "always", "never"],
    Field(description=(
        "Whether to put the tokenizer's BOS token before each text. auto (default): when "
        "the tokenizer defines one (GPT-2's <|endoftext|> does), so the first word is "
        "scored in context; never: the first token is unscored; always: fail if there is "
        "no BOS token.")),
]

BatchTokens = Annotated[
    int,
    Field(gt=0, description=(
        "Upper bound on tokens per forward batch (padding included). A memory knob only: "
        "results do not depend on it. Lower it if the device runs out of memory.")),
]

TextField = Annotated[
    str,
    ColumnOf(("data", "corpus")),
    Field(min_length=1, description=(
        "Record field holding the text when the data source is JSONL/CSV/Parquet; "
        "ignored for plain-text files, which are read as one text.")),
]

MaxLength = Annotated[
    Annotated[int, Field(gt=0)] | None,
    Field(description=(
        "Truncate each text to this many tokens. None (default) = the model's maximum "
        "context length. Lower it to bound memory on long documents.")),
]

Scalar = str | int | float | bool


# --- cost helpers ------------------------------------------------------------

def text_tokens(text: str) -> float:
    """Estimated tokens of a literal string in the spec (a prompt, a template)."""
    return len(text.encode("utf-8")) / BYTES_PER_TOKEN


def sequence_tokens(ctx: CostContext, data: str, *, extra: float = 0.0,
                    cap: int | None = None) -> tuple[int, float] | None:
    """(records, tokens per sequence) of a data source, or None when unknown.

    A sequence is one record's text plus `extra` tokens (a prompt), capped at
    `cap` (truncation). A record holds all of its fields, so its size is an upper
    bound on any one sequence built from it: estimates err on the expensive side.
    """
    stats = ctx.data_stats(data)
    if stats is None:
        return None
    per_seq = stats.tokens_per_record + extra
    if cap is not None:
        per_seq = min(per_seq, float(cap))
    return stats.records, per_seq


def model_cost(ctx: CostContext, model: str, tokens: float | None,
               flops_per_param_token: float, note: str = "") -> Cost:
    """k·N·D with N the model's parameters and D the tokens; zero when either is unknown.

    k is 2 for a forward pass, 6 for forward + backward (the Kaplan et al. estimate).
    """
    if tokens is None:
        return Cost(flops=0.0, tokens=0.0, note=UNKNOWN_DATA)
    n_params = ctx.model_params(model)
    if n_params is None:
        return Cost(flops=0.0, tokens=tokens, note=UNKNOWN_MODEL)
    return Cost(flops=flops_per_param_token * n_params * tokens, tokens=tokens, note=note)


def forward_cost(ctx: CostContext, model: str, data: str, *, sequences_per_record: float = 1,
                 prompts: Sequence[str] = ("",), cap: int | None = None,
                 note: str = "") -> Cost:
    """2·N·D for scoring every record of `data` under every prompt.

    D = records × prompts × sequences_per_record × (record tokens + prompt tokens).
    """
    extra = sum(text_tokens(p) for p in prompts) / max(len(prompts), 1)
    sized = sequence_tokens(ctx, data, extra=extra, cap=cap)
    if sized is None:
        return model_cost(ctx, model, None, 2)
    records, per_seq = sized
    tokens = records * len(prompts) * sequences_per_record * per_seq
    return model_cost(ctx, model, tokens, 2, note)


def data_pass_cost(ctx: CostContext, data: str, note: str) -> Cost:
    """One CPU pass over a data source (merge counting, pattern counting): its tokens,
    no model FLOPs."""
    stats = ctx.data_stats(data)
    if stats is None:
        return Cost(note=UNKNOWN_DATA)
    return Cost(tokens=stats.tokens, note=note)


def analysis_cost(params: object, ctx: CostContext) -> Cost:
    """Cost of a table analysis: CPU seconds, no model FLOPs."""
    return Cost(flops=0.0, tokens=0.0, note="CPU analysis of tables; no model FLOPs")
