"""Diagnostics: every problem in a spec, with file, line, column, and a hint.

The compiler never stops at the first problem: checks append to a `Diagnostics`
collector, and the CLI prints them all together as `file:line:col: message`.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Protocol


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int
    col: int
    message: str
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        head = f"{self.file}:{self.line}:{self.col}: "
        if self.severity != "error":
            head += f"{self.severity}: "
        text = head + self.message
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class SpecErrors(Exception):
    """Raised once, at the end of a compile step, carrying every diagnostic."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


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


class SourceMapLike(Protocol):
    def locate(self, path: tuple, at: str = "value", offset: int | None = None) -> tuple[int, int]: ...


@dataclass
class Diagnostics:
    """Collects diagnostics against one spec file and its source map."""

    file: str
    source_map: SourceMapLike
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: tuple, message: str, hint: str | None = None,
              at: str = "value", offset: int | None = None) -> None:
        self._add(path, message, hint, at, offset, "error")

    def warning(self, path: tuple, message: str, hint: str | None = None,
                at: str = "value") -> None:
        self._add(path, message, hint, at, None, "warning")

    def _add(self, path, message, hint, at, offset, severity) -> None:
        line, col = self.source_map.locate(tuple(path), at=at, offset=offset)
        self.items.append(Diagnostic(self.file, line, col, message, hint, severity))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity != "error"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise SpecErrors(self.errors)


