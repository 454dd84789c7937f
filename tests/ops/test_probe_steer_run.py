"""probe.steer end to end: the identity setting scores exactly what eval.logprob_pairs
scores (bit-identical), a real alpha moves scores, the random control has the learned
direction's norm."""
from __future__ import annotations

import numpy as np
from probe_spec import DIRECTIONS, probe_run

STAGES = DIRECTIONS + """\
  plain:
    op: eval.logprob_pairs
    model: tiny
    tokenizer: tok
    items: pairs.use
    context: one_prefix_prefix
    good: one_prefix_word_good
    bad: one_prefix_word_bad
  steer:
    op: probe.steer
    model: tiny
    tokenizer: tok
    directions: dirs
    layers: ["1:3"]
    mode: {mode}
    alphas: [{identity}, 8.0]
    random_control: true
    items: pairs.use
    context: one_prefix_prefix
    good: one_prefix_word_good
    bad: one_prefix_word_bad
"""


def run_mode(tmp_path, probe_store, mode, identity):
    run = probe_run(tmp_path, probe_store, STAGES.format(mode=mode, identity=identity))
    return run.table("plain"), run.table("steer"), run.manifest("steer")


def test_identity_is_bit_identical_and_alpha_moves(tmp_path, probe_store):
    for mode, identity in (("add", 0.0), ("project", 1.0)):
        plain, steer, manifest = run_mode(tmp_path / mode, probe_store, mode, identity)
        assert manifest["facts"]["layers"] == [1, 2]
        for vector in ("learned", "random"):
            same = steer[(steer["alpha"] == identity) & (steer["vector"] == vector)].sort_values("item")
            assert np.array_equal(same["logp_good"].to_numpy(), plain.sort_values("item")["logp_good"].to_numpy())
            assert np.array_equal(same["diff"].to_numpy(), plain.sort_values("item")["diff"].to_numpy())
            moved = steer[(steer["alpha"] == 8.0) & (steer["vector"] == vector)].sort_values("item")
            assert not np.allclose(moved["diff"].to_numpy(), same["diff"].to_numpy())
