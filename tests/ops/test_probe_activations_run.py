"""probe.activations -> probe.linear end to end: shards read back equal the model's own
hidden states; the probe table has one row per item, layer and control."""
from __future__ import annotations

import numpy as np
import torch
from probe_spec import probe_run

from specc.ops.probe._store import load_vectors, read_meta

STAGES = """\
  acts:
    op: probe.activations
    model: tiny
    tokenizer: tok
    data: pairs.use
    text_field: sentence_good
    layers: [1, "-1:"]
    pooling: {end_of: one_prefix_prefix}
    shard_rows: 16
  probe:
    op: probe.linear
    activations: acts
    label: one_prefix_word_good
    folds: 3
    C: 0.1
"""


def test_shards_hold_the_hidden_states_and_the_probe_reads_them(tmp_path, probe_store):
    import pandas as pd
    from transformers import AutoTokenizer

    from specc.runtime.models import build_model
    run = probe_run(tmp_path, probe_store, STAGES)
    folder = run.folder("acts")
    index = pd.read_parquet(folder / "table.parquet")
    meta = read_meta(folder)
    assert meta["layers"] == [1, 3] and meta["depth"] == 4 and meta["pooling"] == "named"
    assert len(list((folder / "shards").glob("L001-*.bin"))) > 1   # several shards per layer
    tok = AutoTokenizer.from_pretrained(str(run.folder("tok") / "tokenizer"))
    lm = build_model(run.plan.spec.models["tiny"], len(tok), seed=0).eval()
    row = index[(index["layer"] == 1)].iloc[5]
    ids = [tok.bos_token_id] + tok(row["sentence_good"])["input_ids"]
    prefix = tok(row["one_prefix_prefix"])["input_ids"]
    assert row["position"] == len(prefix)     # BOS + the prefix's tokens, 0-based
    with torch.inference_mode():
        hidden = lm(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states[2]
    stored = load_vectors(folder, index.iloc[[row.name]])
    assert np.allclose(stored[0], hidden[0, row["position"]].numpy(), atol=1e-5)

    probe = run.table("probe")
    n = index["item"].nunique()
    assert len(probe) == n * 2 * 2 and set(probe["control"]) == {"real", "shuffled"}
    assert set(probe["fold"]) == {0, 1, 2} and "UID" in probe
