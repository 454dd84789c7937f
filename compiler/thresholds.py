"""Parse a hypothesis's `expect:` threshold (gates: gates.py).

    expect: "> 0.5"  ">= 0.7"  "< 0.05"  "<= -1"  "== 0"  "!= 0"  "between 0.2 and 0.4"

`between a and b` is inclusive at both ends (a <= value <= b) and needs a <= b.
Errors are MeasureError(offset, message, hint), offsets into the given text, like
measures. It uses the measure tokenizer, so `=>` or `≥` get the same hints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import did_you_mean
from .measure_lexer import MeasureError, Token, tokenize

COMPARATORS = (">", ">=", "<", "<=", "==", "!=", "between")
# The direction of a one-sided test that supports each comparator (the only place it is written).
ALTERNATIVES = {">": "greater", ">=": "greater", "<": "less", "<=": "less"}

# Comparators spelt as words elsewhere (R, pandas, prose) and what to write here.
_WORD_COMPARATORS = {"gt": ">", "ge": ">=", "gte": ">=", "lt": "<", "le": "<=", "lte": "<=",
                     "eq": "==", "ne": "!=", "above": ">", "below": "<", "over": ">",
                     "under": "<", "atleast": ">=", "atmost": "<="}
_EXAMPLE = 'e.g. expect: "> 0.5", ">= 0.7" or "between 0.2 and 0.4"'


@dataclass(frozen=True)
class Expect:
    comparator: str              # one of COMPARATORS
    threshold: float             # for "between": the lower bound
    upper: float | None = None   # for "between": the upper bound

    def holds(self, value: float) -> bool:
        """Whether an estimate meets the threshold (NaN never does)."""
        value = float(value)
        if math.isnan(value):
            return False
        c, t = self.comparator, self.threshold
        if c == "between":
            return t <= value <= self.upper  # type: ignore[operator]
        return {">": value > t, ">=": value >= t, "<": value < t, "<=": value <= t,
                "==": value == t, "!=": value != t}[c]

    @property
    def alternative(self) -> str:
        """The alternative of the test that supports this expectation: greater, less or
        two-sided (`!=`, `==`, `between`)."""
        return ALTERNATIVES.get(self.comparator, "two-sided")

    @property
    def bounds(self) -> tuple[float, ...]:
        """The threshold(s) an interval must clear: one, or two for `between`."""
        return (self.threshold,) if self.upper is None else (self.threshold, self.upper)

    def __str__(self) -> str:
        if self.comparator == "between":
            return f"between {_num(self.threshold)} and {_num(self.upper)}"
        return f"{self.comparator} {_num(self.threshold)}"


def parse_expect(text: str) -> Expect:
    if not isinstance(text, str):
        hint = f'write ">= {text}" or "> {text}"' if isinstance(text, (int, float)) else _EXAMPLE
        raise MeasureError(0, f"expect: needs a comparator and a threshold, got "
                           f"{type(text).__name__} {text!r}", hint)
    if not text.strip():
        raise MeasureError(0, "empty expect; expected a comparison like \"> 0.5\"", _EXAMPLE)
    toks = tokenize(text)
    first = toks[0]
    if first.kind == "name" and first.text.lower() == "between":
        low, i = _threshold(toks, 1, "after 'between'")
        if not (toks[i].kind == "name" and toks[i].text.lower() == "and"):
            raise MeasureError(toks[i].offset, f"expected 'and' after the lower bound, got "
                               f"{toks[i].describe()}", "write between 0.2 and 0.4")
        high, j = _threshold(toks, i + 1, "after 'and'")
        if low > high:
            raise MeasureError(toks[1].offset, f"the lower bound {_num(low)} is above the upper "
                               f"bound {_num(high)}", f"write between {_num(high)} and {_num(low)}")
        _end(toks, j, "after the upper bound")
        return Expect("between", low, high)
    if first.kind == "op" and first.text in COMPARATORS:
        value, i = _threshold(toks, 1, f"after {first.text!r}")
        _end(toks, i, "after the threshold")
        return Expect(first.text, value)
    if first.kind == "op" and first.text == "=":
        raise MeasureError(first.offset, "'=' is not a comparator", "did you mean '=='?")
    if first.kind == "number" or (first.text == "-" and toks[1].kind == "number"):
        number = text[first.offset:toks[1 if first.kind == "number" else 2].offset].strip()
        raise MeasureError(first.offset, "expected a comparator (>, >=, <, <=, ==, !=) or "
                           "'between' before the threshold", f'write ">= {number}" or "> {number}"')
    hint = _EXAMPLE
    if first.kind == "name" and first.text.lower() in _WORD_COMPARATORS:
        hint = f"did you mean {_WORD_COMPARATORS[first.text.lower()]!r}?"
    elif first.kind == "name":
        hint = did_you_mean(first.text.lower(), ["between"]) or _EXAMPLE
    raise MeasureError(first.offset, f"expected a comparator (>, >=, <, <=, ==, !=) or "
                       f"'between', got {first.describe()}", hint)


def _threshold(toks: list[Token], i: int, where: str) -> tuple[float, int]:
    """A signed number literal at toks[i]; returns it and the index after it."""
    sign, start = 1.0, toks[i]
    if start.kind == "op" and start.text == "-":
        sign, i = -1.0, i + 1
    tok = toks[i]
    if tok.kind == "number":
        value = sign * float(tok.value)  # type: ignore[arg-type]
        if not math.isfinite(value):
            raise MeasureError(start.offset, f"threshold {tok.text} is not a finite number")
        return value, i + 1
    if tok.kind == "end":
        raise MeasureError(tok.offset, f"expected a threshold number {where}", _EXAMPLE)
    got = repr(tok.text) if tok.kind == "name" else tok.describe()
    raise MeasureError(tok.offset, f"threshold must be a number, got {got}")


def _end(toks: list[Token], i: int, where: str) -> None:
    tok = toks[i]
    if tok.kind != "end":
        hint = None
        if tok.kind == "name" and tok.text.lower() == "and":
            hint = "combine thresholds with 'between 0.2 and 0.4'"
        raise MeasureError(tok.offset, f"unexpected {tok.describe()} {where}", hint)


def _num(value: float | None) -> str:
    """0.5 -> '0.5', 1.0 -> '1', -1e-05 -> '-1e-05'."""
    assert value is not None
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)
