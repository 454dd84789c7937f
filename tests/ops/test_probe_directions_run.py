"""probe.diff_means end to end: a within-model direction separates its two prompt sets;
a cross-model direction of a model against itself is exactly zero."""
from __future__ import annotations

import numpy as np
from probe_spec import DIRECTIONS, probe_run

WITHIN = DIRECTIONS + "    layers: [0, -1]\n"
ACROSS = """\
  dirs:
    op: probe.diff_means
    model: tiny
    reference: tiny_again
    tokenizer: tok
    data: pairs.use
    positive: one_prefix_prefix
    pooling: mean
"""


def test_within_model_direction_separates_the_sets(tmp_path, probe_store):
    table = probe_run(tmp_path, probe_store, WITHIN).table("dirs")
    assert list(table["layer"]) == [0, 3]
    for row in table.itertuples():
        assert abs(np.linalg.norm(row.direction) - 1) < 1e-5 and row.norm > 0
        assert row.separation > 0   # positives project further along d than negatives


def test_cross_model_direction_of_a_model_against_itself_is_zero(tmp_path, probe_store):
    body = ACROSS.replace("reference: tiny_again", "reference: tiny_copy")
    spec_models = "  tiny_copy: {init: gpt2, n_layer: 4, n_embd: 32, n_head: 2, n_positions: 64}\n"
    from op_runner import OpRun
    from probe_spec import spec
    text = spec(body).replace("stages:\n", "", 1).replace("models:\n", "models:\n" + spec_models, 1)
    run = OpRun(tmp_path, text.replace("  tok: {op", "stages:\n  tok: {op", 1))
    run.store_root = probe_store
    run.execute()
    table = run.table("dirs")
    assert len(table) == 4
    assert (table["norm"] == 0).all() and (table["separation"] == 0).all()
    assert all(not np.any(d) for d in table["direction"])
