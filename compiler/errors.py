"""Diagnostics: every problem in a spec, with file, line, column, and a hint.

The compiler never stops at the first problem: checks append to a `Diagnostics`
collector, and the CLI prints them all together as `file:line:col: message`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol

from specc.names import did_you_mean, expected_one_of, names_hint  # noqa: F401 (re-exported)


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


