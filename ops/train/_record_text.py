"""Injected documents written from a record's fields (`inject.template`).

    render_record("{context}\\n{question}\\nAnswer: {label:letter}", record)

A template is a format string over the record's fields. One format spec is added:
`{field:letter}` renders a 0-based integer as its option letter (0 -> A, 1 -> B ...),
so a BBQ item (`label` is the index of the right option) can be written in the
lettered multiple-choice format that eval.multiple_choice (letters) and eval.check
(choices [A, B, C]) read. Every other spec is Python's own (`{score:.2f}`); a missing
value (None, NaN) renders as "" as in eval prompts.
"""
from __future__ import annotations

import string
from typing import Any, Mapping

from .._common import placeholders
from ..eval._choices import LETTERS, text_of

LETTER = "letter"


class _Value:
    """A field value whose format spec may be `letter`."""

    def __init__(self, value: Any, name: str):
        self.value, self.name = value, name

    def __format__(self, spec: str) -> str:
        if spec == LETTER:
            try:
                index = int(self.value)
            except (TypeError, ValueError):
                raise ValueError(f"{{{self.name}:letter}} needs a 0-based integer, got "
                                 f"{self.value!r}") from None
            if not 0 <= index < len(LETTERS) or index != self.value:
                raise ValueError(f"{{{self.name}:letter}} needs an integer in 0..25, got {self.value!r}")
            return LETTERS[index]
        return format(text_of(self.value) if not spec else self.value, spec)


def check_record_template(template: str) -> list[str]:
    """The field names of an inject template; ValueError when it is malformed, has an
    unnamed placeholder, or a conversion (`!r`), which would print Python reprs."""
    names = placeholders(template, "template")
    if any(not n or n.isdigit() for n in names):
        raise ValueError("template has an unnamed placeholder {}: name a field, e.g. {context}, "
                         "or write {{ and }} for literal braces")
    for _text, name, _spec, conversion in string.Formatter().parse(template):
        if name is not None and conversion is not None:
            raise ValueError(f"template: {{{name}!{conversion}}} converts the value; write {{{name}}}")
    return names


def render_record(template: str, record: Mapping[str, Any]) -> str:
    names = dict.fromkeys(placeholders(template, "template"))
    missing = [n for n in names if n not in record]
    if missing:
        raise KeyError(f"template uses fields {missing} that the record does not have "
                       f"(it has {', '.join(map(str, record))})")
    return template.format_map({n: _Value(record[n], n) for n in names})
