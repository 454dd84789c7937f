"""Shards of activations for the three families: what is stored and read back equals the
model's own hidden states, for last / mean / all pooling, across shard boundaries."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from probe_models import tiny

from specc.ops.probe._forward import forward_batches
from specc.ops.probe._layers import anatomy
from specc.ops.probe._store import ShardWriter, load_vectors


def texts(n=9, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(1, 64, rng.integers(2, 9)).tolist() for _ in range(n)]


@pytest.mark.parametrize("family", ["gpt2", "opt", "llama"])
@pytest.mark.parametrize("pooling", ["last", "mean", "all"])
def test_stored_vectors_are_the_hidden_states(tmp_path, family, pooling):
    lm, items = tiny(family), texts()
    parts = anatomy(lm)
    writer = ShardWriter(tmp_path, [1, 2], "float32", 4, pooling, depth=4, site="residual")
    for batch in forward_batches(lm, items, 20, [parts.blocks[1], parts.blocks[2]]):
        for k, layer in enumerate((1, 2)):
            writer.add(layer, batch.outputs[k], batch.index, batch.lengths)
    index = writer.close()
    index.to_parquet(tmp_path / "table.parquet")
    stored = load_vectors(tmp_path, pd.read_parquet(tmp_path / "table.parquet"))
    for row, vector in zip(index.itertuples(), stored):
        with torch.inference_mode():
            hidden = lm(input_ids=torch.tensor([items[row.item]]), output_hidden_states=True).hidden_states
        h = hidden[row.layer + 1][0]
        want = {"last": h[-1], "mean": h.mean(0)}.get(pooling, h[getattr(row, "position", 0)])
        assert np.allclose(vector, want.numpy(), atol=1e-5)
    assert len(index) == 2 * (sum(map(len, items)) if pooling == "all" else len(items))
