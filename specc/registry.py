"""One generic registry per extension kind (ops, measure functions ...).

Names are registered while the package loads, then the registry is frozen:
a spec can never change what a name means half-way through a run.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Generic, Iterator, TypeVar

from .names import names_hint

T = TypeVar("T")


class UnknownName(KeyError):
    def __init__(self, kind: str, name: str, hint: str):
        self.kind, self.name, self.hint = kind, name, hint
        super().__init__(f"unknown {kind} {name!r}; {hint}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.args[0]


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._frozen = False

    def register(self, name: str, item: T) -> T:
        if self._frozen:
            raise RuntimeError(f"the {self.kind} registry is frozen; register {name!r} at import time")
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item
        return item

    def freeze(self) -> None:
        self._frozen = True

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownName(self.kind, name, names_hint(name, self._items)) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())


def plugin_names(env: str) -> tuple[str, ...]:
    """The module names listed in a comma-separated environment variable (e.g. SPECC_PLUGINS)."""
    return tuple(filter(None, (n.strip() for n in os.environ.get(env, "").split(","))))


def plugin_modules(env: str, error: type[Exception]) -> Iterator[tuple[str, ModuleType]]:
    """(name, module) for every plugin module `env` lists; `error` when one cannot be imported."""
    for name in plugin_names(env):
        try:
            yield name, importlib.import_module(name)
        except ImportError as exc:
            raise error(f"{env}: cannot import plugin module {name!r}: {exc}") from exc
