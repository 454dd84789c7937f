"""Multiple-choice accuracy, scored by log-probability over the answer options only.

Each item (BBQ-style: context, question, options ans0..ans2, integer label) is
rendered with `template` and the model picks the option it finds most likely.
It never generates text, so its answer is always one of the options
("accuracy constrained to the answer tokens"). Two scorings:

    letters  the prompt lists the options as "A. ...", "B. ..." and the model
             scores the letter tokens " A", " B", ... after the prompt: one
             forward pass per item, as in MMLU-style evaluation.
    options  the model scores each whole option text after the prompt (summed or
             averaged by `reduction`): better for small models that have not
             learnt the letter format.

Output: one row per item, the items' own columns (context_condition,
question_polarity, answer_info ...) carried alongside:

    item        0-based index of the item in `items`
    chosen      index of the highest-scoring option
    correct     chosen == the item's label
    p_correct   probability of the labelled option, normalised over the options
    logp_0 ...  log-probability of each option (one column per entry of
                fields.options, in that order; with fields.choices one per possible
                option up to max_options, NaN where an item has fewer)

Tokenization and BOS: the prompt and each target are tokenized separately and
concatenated, cut before the prompt's trailing whitespace, which starts every target
(" A", " <option>"); with `bos` the tokenizer's BOS token comes first. A letter that is
not a single token under the tokenizer is scored as the sum of its tokens (logged).
`template`, `scoring`, `reduction`, `bos` and the letters' token counts are recorded.

Cost: 2·N·D, one sequence per item with `letters`, one per option with `options`.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .._common import (ITEMS_COLUMN, BatchTokens, Bos, InferPrecision, Tokenizer, Unique, differs_from,
                       forward_cost, placeholders)
from .._op import Cost, CostContext, DataRef, ModelRef, Op, OpParams

if TYPE_CHECKING:
    import pandas as pd

PLACEHOLDERS = ("context", "question", "options")
DEFAULT_TEMPLATES = {
    "letters": "{context}\n{question}\n{options}\nAnswer:",
    "options": "{context}\n{question}\nAnswer:",
}


class Fields(OpParams):
    context: Annotated[str | None, ITEMS_COLUMN] = Field(default="context", min_length=1, description=(
        "Field holding the passage the question is about; None if items have none."))
    question: Annotated[str, ITEMS_COLUMN, differs_from("context")] = Field(
        default="question", min_length=1, validate_default=True,
        description="Field holding the question.")
    options: Annotated[list[Annotated[str, ITEMS_COLUMN, Field(min_length=1)]], Unique] | None = Field(
        default=["ans0", "ans1", "ans2"], min_length=2, max_length=26, description=(
            "Fields holding the answer options, in order (2 to 26: letters A-Z); `label` "
            "indexes this list. BBQ: [ans0, ans1, ans2]. Left out with `choices`."))
    label: Annotated[str, ITEMS_COLUMN, differs_from("context", "question")] = Field(
        default="label", min_length=1, validate_default=True,
        description=("Field holding the 0-based index of the correct option (with `choices`: "
                     "the correct choice's key, e.g. ARC's answerKey \"C\")."))
    choices: Annotated[str | None, ITEMS_COLUMN, differs_from("context", "question", "label")] = Field(
        default=None, min_length=1, description=(
            "A field holding all options at once as {text: [...], label: [...]}, the layout of "
            "ARC, OpenBookQA and CommonsenseQA (items may have different numbers of options); "
            "`options` is then unused. None (default): the options are the `options` fields."))
    max_options: int = Field(default=5, ge=2, le=26, description=(
        "With `choices`: the most options an item may have (ARC-Challenge: 5); the table has "
        "one logp_ column per possible option, NaN where an item has fewer."))

    @model_validator(mode="before")
    @classmethod
    def _choices_replace_options(cls, data):
        # With `choices` the BBQ default option fields do not apply: they are left out
        # (written together, `choices` wins and the compiler reports nothing to check).
        if isinstance(data, dict) and data.get("choices") and "options" not in data:
            return {**data, "options": None}
        return data

    @model_validator(mode="after")
    def _some_options(self) -> "Fields":
        if self.options is None and not self.choices:
            raise ValueError("set `options` (one field per option) or `choices` (one field holding them all)")
        if self.options is not None and self.choices:
            raise ValueError("set either `options` or `choices`, not both")
        return self

    @property
    def width(self) -> int:
        """Option columns of the output: one per possible option."""
        return self.max_options if self.choices else len(self.options)


class Params(OpParams):
    model: ModelRef = Field(description=(
        "Model to evaluate: a `models:` entry or a model-producing stage."))
    tokenizer: Tokenizer = None
    items: DataRef = Field(description="Data source of the questions, one record per item.")
    fields: Fields = Field(default_factory=Fields, description=(
        "Which record fields hold the context, question, options and label. The "
        "defaults match BBQ."))
    scoring: Literal["letters", "options"] = Field(default="letters", description=(
        "letters: score only the option letters after a prompt listing the options; "
        "options: score each option's full text. See the op's doc."))
    template: str | None = Field(default=None, description=(
        "Prompt format with {context}, {question} and {options} (the lettered option "
        "list, required with letters scoring). None (default) = "
        "\"{context}\\n{question}\\n{options}\\nAnswer:\" for letters, the same without "
        "{options} for options. A missing context renders as an empty string."))
    reduction: Literal["sum", "mean"] = Field(default="sum", description=(
        "With options scoring: sum of the option's token log-probs (default) or their "
        "mean, which removes the bias towards short options. Letters are single tokens."))
    bos: Bos = "auto"
    precision: InferPrecision = "fp32"
    batch_tokens: BatchTokens = 16384

    @field_validator("template")
    @classmethod
    def _template_names(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        names = set(placeholders(value, "template"))
        unknown = sorted(names - set(PLACEHOLDERS))
        if unknown:
            raise ValueError(f"template uses unknown placeholders {unknown}; "
                             f"allowed: {list(PLACEHOLDERS)} (write {{{{ and }}}} for braces)")
        if info.data.get("scoring") == "letters" and "options" not in names:
            raise ValueError("scoring: letters needs {options} in the template, or the "
                             "model never sees which letter stands for which option")
        return value

    @property
    def prompt_template(self) -> str:
        return self.template if self.template is not None else DEFAULT_TEMPLATES[self.scoring]


def run(p: Params, ctx) -> "pd.DataFrame":
    import pandas as pd

    from .._lm import bos_prefix, load_lm, load_tokenizer, max_positions
    from ._choices import LETTERS, choice_requests, item_options
    from ._items import with_item_columns
    from ._scorer import check_lengths, score
    from ._segments import Encoder

    tok = load_tokenizer(ctx, p.tokenizer, p.model)
    lm = load_lm(ctx, p.model, tok, p.precision)
    items = ctx.data(p.items).to_pandas()
    k, n = p.fields.width, len(items)
    options, label_list = item_options(items, p.fields)
    labels = np.array(label_list, dtype=np.int64)
    bos = tuple(bos_prefix(tok, p.bos))
    requests = choice_requests(items, p.fields, options, p.prompt_template, p.scoring, Encoder(tok), bos)
    check_lengths(requests, max_positions(lm))
    t0 = time.perf_counter()
    scores = score(lm, requests, batch_tokens=ctx.batch_size(p.batch_tokens), progress=ctx.progress)
    seconds = time.perf_counter() - t0

    # Requests are item x option with each item's own option count: scatter them into an
    # n x k grid; an option an item lacks has log-prob -inf (never chosen, probability 0).
    present = np.zeros((n, k), dtype=bool)
    for i, opts in enumerate(options):
        present[i, :len(opts)] = True
    logp = np.full((n, k), -np.inf)
    counts = np.zeros((n, k), dtype=np.int64)
    logp[present], counts[present] = scores.logprob, scores.tokens
    # Letters are whole answers however many tokens they take: always summed.
    reduction = p.reduction if p.scoring == "options" else "sum"
    if reduction == "mean":
        logp[present] = logp[present] / counts[present]
    chosen = np.argmax(logp, axis=1)   # a tie goes to the first option
    shifted = np.exp(logp - logp.max(axis=1, keepdims=True))   # softmax without overflow
    p_correct = shifted[np.arange(n), labels] / shifted.sum(axis=1)
    table = pd.DataFrame({"item": np.arange(n), "chosen": chosen, "correct": chosen == labels,
                          "p_correct": p_correct})
    for j in range(k):
        table[f"logp_{j}"] = np.where(present[:, j], logp[:, j], np.nan)

    facts = {}
    if p.scoring == "letters" and n:
        letter_tokens = {LETTERS[j]: int(counts[:, j].max()) for j in range(k) if present[:, j].any()}
        facts["letter_tokens"] = letter_tokens
        split = [L for L, c in letter_tokens.items() if c != 1]
        if split:
            ctx.log(f"letters {split} are not single tokens after the prompt under this "
                    "tokenizer: each is scored as the sum of its tokens")
    ctx.record(scoring=p.scoring, template=p.prompt_template, reduction=reduction, bos=p.bos,
               bos_token_id=bos[0] if bos else None, items=n,
               tokenization="prompt and targets tokenized separately, cut before whitespace",
               score_seconds=round(seconds, 3), **facts, **scores.stats)
    return with_item_columns(table, items, ctx)


def columns(p: Params) -> tuple[str, ...]:
    return ("item", "chosen", "correct", "p_correct") + tuple(
        f"logp_{i}" for i in range(p.fields.width))


def cost(p: Params, ctx: CostContext) -> Cost:
    sequences = 1 if p.scoring == "letters" else p.fields.width
    # The template's own text is the "prompt"; the item's fields are in its record size.
    template = p.prompt_template.format(context="", question="", options="")
    return forward_cost(ctx, p.model, p.items, sequences_per_record=sequences,
                        prompts=[template],
                        note=f"2·N·D, {sequences} sequence(s) per item ({p.scoring} scoring)")


OP = Op(name="eval.multiple_choice", version=2, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="items", run=run)
