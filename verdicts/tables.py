"""The tables a measure reads, by name: anything with `get(source) -> DataFrame` and
`axes(source) -> the stage's condition axes`. A run reads a stage's artifacts and the
data sources (specc.runtime.tables.MeasureTables); tests and notebooks give frames
directly (FrameTables).
"""
from __future__ import annotations

import pandas as pd


class FrameTables:
    """Tables given directly (tests, notebooks): {source: DataFrame}, {stage: axes}."""

    def __init__(self, frames: dict[str, pd.DataFrame], axes: dict[str, tuple[str, ...]] | None = None):
        self.frames, self._axes = frames, axes or {}

    def get(self, source: str) -> pd.DataFrame:
        if source not in self.frames:
            raise LookupError(f"no table {source!r}")
        return self.frames[source]

    def axes(self, source: str) -> tuple[str, ...]:
        return tuple(self._axes.get(source, ()))
