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


def test_cosine_to_another_direction_stage(tmp_path, probe_store):
    """`cosine_to`: a direction compared with itself has cosine 1 at every layer; with the
    opposite contrast (negative minus positive), -1; with another direction (mean-pooled), a
    value computed by hand from both tables."""
    stages = (DIRECTIONS + "    layers: [0, 2]\n"
              + DIRECTIONS.replace("dirs:", "same:") + "    layers: [0, 2]\n    cosine_to: dirs\n"
              + DIRECTIONS.replace("dirs:", "flipped:").replace("positive: sentence_good", "positive: X")
                .replace("negative: sentence_bad", "negative: sentence_good").replace("X", "sentence_bad")
              + "    layers: [0, 2]\n    cosine_to: dirs\n"
              + DIRECTIONS.replace("dirs:", "other_dirs:") + "    pooling: mean\n"
              + "    layers: [0, 2]\n    cosine_to: dirs\n")
    run = probe_run(tmp_path, probe_store, stages)
    assert np.allclose(run.table("same")["cosine"], 1.0, atol=1e-5)
    assert np.allclose(run.table("flipped")["cosine"], -1.0, atol=1e-5)
    axis, other = run.table("dirs"), run.table("other_dirs")
    for a, o in zip(axis.itertuples(), other.itertuples()):
        want = float(np.dot(a.direction, o.direction) / np.linalg.norm(a.direction) / np.linalg.norm(o.direction))
        assert abs(o.cosine - want) < 1e-4 and -1 <= o.cosine <= 1 and abs(o.cosine) < 0.999
    assert "cosine" not in axis
