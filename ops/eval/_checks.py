"""Rule-based checks on generated text, each a pure function of the text: the engine of
eval.check. Written to be read next to their tests.

    words(text)          words: runs of letters/digits, with inner apostrophes ("don't" is one)
    sentences(text)      sentences: text cut after . ! ? (runs of them) followed by space or the end
    has_keyword(t, k)    k occurs as a whole word or phrase (not inside a longer word)
    is_json(text)        the whole text parses as JSON (a ```json fence around it is allowed)
    is_list(text)        every non-empty line is a list item (-, *, •, "1." or "1)"), at least one
    extract(text, ...)   the answer a declared pattern captures, first or last occurrence
    matches(answer, ...) extracted answer against the item's label
"""
from __future__ import annotations

import json
import re
from typing import Any, Sequence

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\S")
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n(.*)\n\s*```$", re.DOTALL)


def words(text: str) -> int:
    return len(_WORD.findall(text))


def sentences(text: str) -> int:
    """Pieces with at least one word between sentence ends; a final piece without an end
    mark counts too ("Yes. No" is two)."""
    return sum(1 for piece in _SENTENCE_END.split(text) if _WORD.search(piece))


def has_keyword(text: str, keyword: str, case_sensitive: bool = False) -> bool:
    pattern = rf"(?<!\w){re.escape(keyword)}(?!\w)"
    return re.search(pattern, text, 0 if case_sensitive else re.IGNORECASE) is not None


def is_json(text: str) -> bool:
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def is_list(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(_LIST_ITEM.match(line) for line in lines)


def extract(text: str, pattern: re.Pattern, occurrence: str = "first") -> str | None:
    """The pattern's first capture group (its whole match if it has none) at its first or
    last match; None when it does not match."""
    if occurrence == "last":
        m = None
        for m in pattern.finditer(text):
            pass
    else:
        m = pattern.search(text)
    if m is None:
        return None
    return (m.group(1) if pattern.groups else m.group(0)).strip()


def number(text: Any) -> float | None:
    """A number written in text: "1,234.5" -> 1234.5, "$3" -> 3; None if it is not one."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    cleaned = str(text).strip().replace(",", "").lstrip("$€£").rstrip("%.")
    try:
        return float(cleaned)
    except ValueError:
        return None


def matches(answer: str | None, label: Any, choices: Sequence[str] | None = None,
            ignore_case: bool = False) -> tuple[bool, bool]:
    """(answered, correct) of an extracted answer against an item's label.

    With `choices` the answer must be one of them and the label is the 0-based index of
    the right one (BBQ: choices [A, B, C], label 0..2). Without, answers and labels that
    both read as numbers compare as numbers, anything else as text (stripped, and
    case-folded with ignore_case)."""
    if answer is None:
        return False, False
    fold = (lambda s: s.casefold()) if ignore_case else (lambda s: s)
    if choices is not None:
        keys = [fold(c) for c in choices]
        if fold(answer) not in keys:
            return False, False
        index = keys.index(fold(answer))
        label_index = number(label)
        return True, label_index is not None and index == int(label_index)
    a, b = number(answer), number(label)
    if a is not None and b is not None:
        return True, abs(a - b) <= 1e-9 * max(1.0, abs(b))
    return True, fold(answer.strip()) == fold(str(label).strip())
