"""probe.logit_lens end to end: KL 0 at the last layer (logit and tuned lens), the final
top-1 always agrees with itself, commitment layers are consistent, and a layer beyond
the model's depth fails naming the model."""
from __future__ import annotations

import pytest
from probe_spec import probe_run

LENS = """\
  lens:
    op: probe.logit_lens
    model: tiny
    tokenizer: tok
    data: pairs.use
    text_field: sentence_good
{extra}"""


@pytest.fixture
def lens_run(tmp_path, probe_store):
    return lambda extra="": probe_run(tmp_path, probe_store, LENS.format(extra=extra))


def test_last_layer_is_the_models_output(lens_run):
    table = lens_run().table("lens")
    last = table[table["layer"] == 3]
    assert len(last) > 0 and (last["kl"] == 0).all() and last["top1_agree"].all()
    assert (table["kl"] >= 0).all() and (table["kl"][table["layer"] < 3] > 0).any()
    assert set(table["layer"]) == {0, 1, 2, 3} and "UID" in table   # items' columns carried
    # Commitment: committed from the commitment layer on, and top-1 agrees there.
    assert (table["committed"] == (table["layer"] >= table["commitment_layer"])).all()
    committed = table[table["committed"]]
    assert committed["top1_agree"].all()


def test_last_position_and_kl_commitment(lens_run):
    table = lens_run("    positions: last\n    layers: [0, -1]\n    commit_kl: 0.5\n").table("lens")
    assert table.groupby("item")["position"].nunique().max() == 1
    assert set(table["layer"]) == {0, 3}
    assert (table[table["committed"]]["kl"] < 0.5).all()


def test_tuned_lens_trains_translators_and_keeps_kl_zero_at_the_end(lens_run):
    import torch
    run = lens_run("    lens: tuned\n    translator_data: corpus.train\n"
                             "    translator_steps: 30\n    positions: last\n")
    table = run.table("lens")
    assert (table[table["layer"] == 3]["kl"] == 0).all()
    saved = torch.load(run.folder("lens") / "translators.pt")
    assert saved["layers"] == [0, 1, 2, 3] and saved["weight"][:3].abs().sum() > 0
    facts = run.manifest("lens")["facts"]
    assert facts["translator_loss_last"] < facts["translator_loss_first"]


def test_layer_beyond_depth_is_a_compile_error_for_config_models(lens_run):
    from specc.compiler import SpecErrors
    with pytest.raises(SpecErrors, match=r"spec.yaml:20:14: stages.lens.layers: layer 9 is beyond the "
                                         r"model's depth: it has 4 blocks"):
        lens_run("    layers: [9]\n")


def test_layer_beyond_depth_at_run_time_names_the_model():
    # Hub and local models: the depth is known only once loaded; the task error names both.
    from specc.ops.probe._layers import LayerError
    from specc.ops.probe.activations import model_layers
    with pytest.raises(LayerError, match="model 'hub/m': layer -9 is beyond the model's depth: it has 8"):
        model_layers([0, -9], 8, "hub/m")
