"""Data references (`source`, `source.part`, `source.part[:60]`, `source.part[sample:60]`)
parsed into their parts: a pure function at the bottom of specc, so the compiler, the runtime
and an op's cost estimate (which may import only specc's core) read them the same way."""
from __future__ import annotations

import re
from dataclasses import dataclass

_REF = re.compile(r"^(?P<source>[A-Za-z_][A-Za-z0-9_]*)(?:\.(?P<part>[A-Za-z_][A-Za-z0-9_]*))?"
                  r"(?:\[(?P<sample>sample)?:(?P<limit>[0-9]+)\])?$")


@dataclass(frozen=True)
class DataRefParts:
    source: str
    part: str | None = None
    limit: int | None = None
    sample: bool = False

    @property
    def unlimited(self) -> str:
        """The reference without its limit: `source` or `source.part`."""
        return f"{self.source}.{self.part}" if self.part else self.source

    def describe(self) -> str:
        if self.limit is None:
            return "all records"
        return f"a seeded sample of {self.limit}" if self.sample else f"the first {self.limit}"


def parse_data_ref(value: str) -> DataRefParts | None:
    """`corpus.train[:100]` -> DataRefParts('corpus', 'train', 100, False); None if malformed."""
    m = _REF.match(value)
    if m is None:
        return None
    limit = m.group("limit")
    return DataRefParts(m.group("source"), m.group("part"), int(limit) if limit is not None else None,
                        m.group("sample") is not None)


def ref_source(value: str) -> str:
    """The source name a reference starts with (`prefs` of `prefs.heldout[:60]`)."""
    return re.split(r"[.\[]", value, maxsplit=1)[0]
