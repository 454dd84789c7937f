"""Suggestions for a misspelt name ("did you mean ...?"), shared by every layer: the
compiler's diagnostics and the registries of ops and measure functions."""
from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(name: object, candidates: Iterable[str]) -> str | None:
    """'did you mean ...' for a misspelt name, or None when nothing is close."""
    candidates = sorted({str(c) for c in candidates})
    close = difflib.get_close_matches(str(name), candidates, n=3, cutoff=0.7)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


def expected_one_of(candidates: Iterable[str], limit: int = 12) -> str:
    names = sorted({str(c) for c in candidates})
    if not names:
        return "nothing is declared"
    shown = ", ".join(repr(n) for n in names[:limit])
    return "expected one of " + shown + (", ..." if len(names) > limit else "")


def names_hint(name: object, candidates: Iterable[str]) -> str:
    """A hint for an unknown name: close matches first, else the full list."""
    candidates = list(candidates)
    return did_you_mean(name, candidates) or expected_one_of(candidates)
