"""A fake CostContext with hand-checkable sizes, for the ops' cost tests."""
from __future__ import annotations

import pytest

from specc.ops import DataStats


class FakeCtx:
    def __init__(self, models: dict[str, int] | None = None,
                 data: dict[str, DataStats] | None = None):
        self.models = models or {}
        self.data = data or {}

    def model_params(self, name: str) -> int | None:
        return self.models.get(name)

    def data_stats(self, name: str) -> DataStats | None:
        return self.data.get(name)


@pytest.fixture
def ctx() -> FakeCtx:
    # BYTES_PER_TOKEN is 4: corpus = 10 records x 1,000 tokens, pairs = 100 x 100 tokens.
    return FakeCtx(
        models={"tiny": 1_000_000, "donor": 2_000_000},
        data={"corpus": DataStats(records=10, bytes=40_000),
              "pairs": DataStats(records=100, bytes=40_000),
              "general": DataStats(records=50, bytes=40_000)},
    )


@pytest.fixture
def blind() -> FakeCtx:
    """A context that knows no sizes (hub models, hub data)."""
    return FakeCtx()
