"""Rule-based checks on generated text: verifiable instructions and answer extraction.

Reads a table of responses (an eval.generate stage) and adds, per row:

    words, sentences   counts (see `_checks` for what a word and a sentence are)
    <name>             one boolean column per entry of `checks`, True when the rule holds
    passed             every check holds (True when there are none)
    answer             with `answer`: the text its pattern captured (None: no match)
    answered           the pattern matched (and, with choices, matched one of them)
    correct            the captured answer equals the item's label: "generated-format
                       accuracy", to set against the accuracy of eval.multiple_choice,
                       which is constrained to the answer tokens

plus every column of the responses table. A check is one rule:

    {max_words: 50}  {min_words: 5}  {max_sentences: 3}  {min_sentences: 1}
    {contains: [kw, ...]}   every keyword occurs (as a word or phrase)
    {forbids: [kw, ...]}    none occurs
    {format: json}          the whole text is JSON (a ```json fence is allowed)
    {format: list}          every non-empty line is a list item
    case_sensitive: true    for contains / forbids (default: case-insensitive)

A limit or a keyword list may come from a column instead, for per-item instructions
(IFEval-style): {max_words: {column: word_limit}}, {contains: {column: keywords}} (a list,
or one string as one keyword). A row whose column is empty has no such instruction: the
check holds for it.

Answer extraction: `pattern` is a regular expression whose first group (or whole match)
is the answer, taken at its first or last occurrence. With `choices` (e.g. [A, B, C]) the
answer must be one of them and `label` holds the 0-based index of the right one (BBQ);
without, the answer is compared with the label as a number when both read as numbers,
else as text. A pattern that does not compile, or has more than one group, is a compile
error. Everything here is a pure function of the text: no model, no randomness.

Cost: none (CPU string checks).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, NonNegativeInt, field_validator, model_validator

from .._common import Unique
from .._op import ColumnOf, Cost, CostContext, Op, OpParams, TableRef

if TYPE_CHECKING:
    import pandas as pd

COUNT_COLUMNS = ("words", "sentences", "passed")
ANSWER_COLUMNS = ("answer", "answered", "correct")
RULES = ("max_words", "min_words", "max_sentences", "min_sentences", "contains", "forbids", "format")
Keywords = Annotated[list[Annotated[str, Field(min_length=1)]], Unique, Field(min_length=1)]


class FromColumn(OpParams):
    column: Annotated[str, ColumnOf(("responses",))] = Field(min_length=1, description=(
        "Column of the responses table holding this row's value: per-item instructions "
        "(IFEval-style), e.g. a word limit or keywords stated in each prompt."))


Count = NonNegativeInt | FromColumn
Words = Keywords | FromColumn


class Check(OpParams):
    max_words: Count | None = Field(default=None, description="At most this many words.")
    min_words: Count | None = Field(default=None, description="At least this many words.")
    max_sentences: Count | None = Field(default=None, description="At most this many sentences.")
    min_sentences: Count | None = Field(default=None, description="At least this many sentences.")
    contains: Words | None = Field(default=None, description="Keywords that must all occur.")
    forbids: Words | None = Field(default=None, description="Keywords none of which may occur.")
    format: Literal["json", "list"] | None = Field(default=None, description=(
        "json: the whole text parses as JSON; list: every non-empty line is a list item."))
    case_sensitive: bool = Field(default=False, description="Keyword matching respects case.")

    @model_validator(mode="after")
    def _one_rule(self) -> "Check":
        given = [r for r in RULES if getattr(self, r) is not None]
        if len(given) != 1:
            raise ValueError(f"a check states exactly one rule ({', '.join(RULES)}); this one "
                             f"states {len(given)}" + (f": {given}" if given else "")
                             + " — write one named check per rule")
        if self.case_sensitive and given[0] not in ("contains", "forbids"):
            raise ValueError("case_sensitive applies to contains and forbids only")
        return self

    @property
    def rule(self) -> str:
        return next(r for r in RULES if getattr(self, r) is not None)

    def holds(self, text: str, n_words: int, n_sentences: int, row: dict) -> bool:
        """Whether the rule holds for this text; a value read from a column that is empty
        for this row (the item states no such instruction) holds trivially."""
        from . import _checks
        rule = self.rule
        value = getattr(self, rule)
        if isinstance(value, FromColumn):
            value = row_value(row[value.column], rule)
            if value is None:
                return True
        if rule == "max_words":
            return n_words <= value
        if rule == "min_words":
            return n_words >= value
        if rule == "max_sentences":
            return n_sentences <= value
        if rule == "min_sentences":
            return n_sentences >= value
        if rule == "contains":
            return all(_checks.has_keyword(text, k, self.case_sensitive) for k in value)
        if rule == "forbids":
            return not any(_checks.has_keyword(text, k, self.case_sensitive) for k in value)
        return _checks.is_json(text) if self.format == "json" else _checks.is_list(text)


def row_value(value, rule: str):
    """A per-row rule value: a count (None when missing), or keywords (a list, or one
    string as a single keyword; None when missing or empty)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if rule in ("contains", "forbids"):
        words = [value] if isinstance(value, str) else [str(v) for v in value]
        return [w for w in words if w] or None
    try:
        count = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{rule}: the column holds {value!r}, not a number") from None
    return count


class Answer(OpParams):
    pattern: str = Field(min_length=1, description=(
        "Regular expression (Python syntax) whose first group is the answer, e.g. "
        "\"\\\\b([ABC])\\\\b\" for a letter or \"(-?[\\\\d,.]+)\" for a number; without a "
        "group the whole match is."))
    label: Annotated[str, ColumnOf(("responses",))] = Field(description=(
        "Column holding the correct answer: the option index with `choices`, else the answer."))
    choices: Annotated[list[Annotated[str, Field(min_length=1)]], Unique] | None = Field(
        default=None, min_length=2, description=(
            "The answers the pattern may capture, in option order; the label indexes them "
            "(BBQ: [A, B, C] with label 0..2). None: compare with the label directly."))
    occurrence: Literal["first", "last"] = Field(default="first", description=(
        "Which match counts when the pattern matches several times."))
    ignore_case: bool = Field(default=False, description=(
        "Match and compare ignoring case. Off by default: a letter pattern would otherwise "
        "take the article \"a\" for answer A."))

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as err:
            raise ValueError(f"pattern is not a valid regular expression: {err}") from None
        if compiled.groups > 1:
            raise ValueError(f"pattern has {compiled.groups} groups; the answer is one group "
                             "(write (?:...) for groups that only group)")
        return value

    def compiled(self) -> re.Pattern:
        return re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)


class Params(OpParams):
    responses: TableRef = Field(description=(
        "Stage whose table holds the texts to check: usually an eval.generate stage."))
    text: Annotated[str, ColumnOf(("responses",))] = Field(default="text", min_length=1, description=(
        "Column holding the text (eval.generate: text)."))
    checks: dict[str, Check] = Field(default={}, description=(
        "Named checks, one rule each; each name becomes a boolean column."))
    answer: Answer | None = Field(default=None, description=(
        "Extract an answer by pattern and compare it with the item's label: adds answer, "
        "answered and correct."))

    @field_validator("checks")
    @classmethod
    def _names(cls, value: dict[str, Check]) -> dict[str, Check]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"check name {name!r} is not a plain name (letters, digits, _): "
                                 "it becomes a column measures refer to")
            if name in COUNT_COLUMNS + ANSWER_COLUMNS:
                raise ValueError(f"check name {name!r} is one of the op's own columns; choose another")
        return value

    @model_validator(mode="after")
    def _something(self) -> "Params":
        if not self.checks and self.answer is None:
            raise ValueError("nothing to check: give `checks`, an `answer` pattern, or both")
        return self


def run(p: Params, ctx) -> "pd.DataFrame":
    import pandas as pd

    from . import _checks

    responses = ctx.table(p.responses).reset_index(drop=True)
    needed = [p.text] + ([p.answer.label] if p.answer else []) + [
        value.column for c in p.checks.values() if isinstance(value := getattr(c, c.rule), FromColumn)]
    missing = [c for c in needed if c not in responses.columns]
    if missing:
        raise KeyError(f"the responses table of {p.responses!r} has no columns {missing} "
                       f"(it has {', '.join(map(str, responses.columns))})")
    texts = ["" if t is None or t != t else str(t) for t in responses[p.text]]
    n_words = [_checks.words(t) for t in texts]
    n_sentences = [_checks.sentences(t) for t in texts]
    table = pd.DataFrame({"words": n_words, "sentences": n_sentences})
    records = responses.to_dict("records")
    for name, check in p.checks.items():
        table[name] = [check.holds(t, w, s, r) for t, w, s, r in zip(texts, n_words, n_sentences, records)]
    table["passed"] = table[list(p.checks)].all(axis=1) if p.checks else True
    facts = {f"pass_rate_{name}": float(table[name].mean()) if len(table) else None for name in p.checks}
    if p.answer is not None:
        pattern = p.answer.compiled()
        answers = [_checks.extract(t, pattern, p.answer.occurrence) for t in texts]
        judged = [_checks.matches(a, label, p.answer.choices, p.answer.ignore_case)
                  for a, label in zip(answers, responses[p.answer.label])]
        table["answer"] = answers
        table["answered"] = [a for a, _ in judged]
        table["correct"] = [c for _, c in judged]
        facts.update(answered_rate=float(table["answered"].mean()) if len(table) else None,
                     accuracy=float(table["correct"].mean()) if len(table) else None)
    ctx.record(checks={k: v.model_dump(exclude_none=True) for k, v in p.checks.items()},
               answer=p.answer.model_dump() if p.answer else None, rows=len(table), **facts)
    clash = [c for c in responses.columns if c in table.columns]
    if clash:
        ctx.log(f"response columns {clash} not carried: the check table has its own columns of that name")
    return responses.drop(columns=clash).join(table)


def columns(p: Params) -> tuple[str, ...]:
    return ("words", "sentences") + tuple(p.checks) + ("passed",) + (ANSWER_COLUMNS if p.answer else ())


def cost(p: Params, ctx: CostContext) -> Cost:
    return Cost(note="CPU string checks; no model FLOPs")


OP = Op(name="eval.check", version=1, params=Params, produces="table", doc=__doc__,
        cost=cost, columns=columns, carries="responses", run=run)
