"""probe.graft: grafting every block of B into A reproduces B's logits (A and B share
embeddings and head, so the blocks are all that differs); an MLP graft in weights mode
equals the same model with the donor's MLP weights copied in; the op end to end."""
from __future__ import annotations

import copy

import pytest
import torch
from probe_models import ids, tiny
from probe_spec import probe_run

from specc.ops.probe._graft import graft_pairs, grafted, recording
from specc.ops.probe._layers import anatomy


def pair(family: str):
    a, b = tiny(family, seed=0), tiny(family, seed=1)
    b.get_input_embeddings().load_state_dict(a.get_input_embeddings().state_dict())
    b.get_output_embeddings().load_state_dict(a.get_output_embeddings().state_dict())
    pa, pb = anatomy(a), anatomy(b)
    if pa.final_norm is not None:
        pb.final_norm.load_state_dict(pa.final_norm.state_dict())
    if family == "gpt2":
        b.transformer.wpe.load_state_dict(a.transformer.wpe.state_dict())
    if family == "opt":
        b.model.decoder.embed_positions.load_state_dict(a.model.decoder.embed_positions.state_dict())
    return a, b


@pytest.mark.parametrize("family", ["gpt2", "opt", "llama"])
@pytest.mark.parametrize("mode", ["weights", "activations"])
def test_every_block_from_b_reproduces_b(family, mode):
    a, b = pair(family)
    x = ids()
    pa, pb = anatomy(a), anatomy(b)
    pairs = graft_pairs(pa, pb, range(4), "block")
    with torch.inference_mode():
        with recording([m for _, m in pairs]) as seen:
            want = b(input_ids=x).logits
        before = a(input_ids=x).logits
        with grafted(pairs, seen if mode == "activations" else None):
            got = a(input_ids=x).logits
    assert not torch.allclose(before, want)
    assert torch.allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("family", ["gpt2", "opt", "llama", "gemma2", "qwen2_moe"])   # MoE: the MLP is the expert block
def test_mlp_weights_graft_equals_copied_weights(family):
    a, b = tiny(family, seed=0), tiny(family, seed=1)
    x = ids()
    copied = copy.deepcopy(a)
    ca, pb = anatomy(copied), anatomy(b)
    for layer in (2, 3):
        for mine, theirs in graft_pairs(ca, pb, [layer], "mlp"):
            mine.load_state_dict(theirs.state_dict())
    with torch.inference_mode():
        want = copied(input_ids=x).logits
        with grafted(graft_pairs(anatomy(a), pb, [2, 3], "mlp")):
            got = a(input_ids=x).logits
    assert torch.allclose(got, want, atol=1e-5)


GRAFT = """\
  graft:
    op: probe.graft
    recipient: tiny
    donor: other
    tokenizer: tok
    data: pairs.use
    text_field: one_prefix_prefix
    layers: ["-2:"]
    sweep: from
    component: block
    late: ["-2:"]
"""


def test_op_rows_and_full_graft(tmp_path, probe_store):
    table = probe_run(tmp_path, probe_store, GRAFT).table("graft")
    assert set(table["direction"]) == {"donor->recipient", "recipient->donor"}
    assert set(table["graft"]) == {"none", "3", "2-3"}
    assert set(table["layer"]) == {0, 1, 2, 3}
    base = table[(table["graft"] == "none") & (table["layer"] == 3)]
    # Ungrafted models at their last layer: KL 0 to their own final distribution.
    assert (base[base["direction"] == "donor->recipient"]["kl_recipient"] == 0).all()
    assert (base[base["direction"] == "recipient->donor"]["kl_donor"] == 0).all()
    late = table[table["layer"].isin([2, 3])].groupby(["item", "direction", "graft"])["kl_donor"].mean()
    summary = table.groupby(["item", "direction", "graft"])["late_kl_donor"].first()
    assert (late - summary).abs().max() < 1e-6


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU: the rows meet the KLs on the model's device")
def test_graft_rows_on_a_gpu_equal_the_cpu_rows():
    # probe.graft built its position weights on the CPU and read CUDA tensors with .numpy():
    # every graft on a GPU failed. The same batch on both devices gives the same rows.
    import numpy as np

    from specc.ops import OPS
    from specc.ops.probe.graft import graft_batch
    p = OPS.get("probe.graft").params.model_validate(
        {"recipient": "a", "donor": "b", "data": "d", "layers": [2, 3], "both_directions": True})
    texts = [[1, 5, 7, 9], [2, 4, 6]]
    tables = {}
    for device in ("cpu", "cuda"):
        a, b = (m.to(device) for m in pair("llama"))
        models = {"recipient": a, "donor": b}
        parts = {role: anatomy(m) for role, m in models.items()}
        directions = [("donor->recipient", "recipient", "donor"), ("recipient->donor", "donor", "recipient")]
        frames = graft_batch(p, models, parts, texts, np.arange(2), [2, 3], [3], directions)
        tables[device] = [f[["kl_donor", "kl_recipient"]].to_numpy() for f in frames]
    for cpu, gpu in zip(tables["cpu"], tables["cuda"]):
        assert np.allclose(cpu, gpu, atol=1e-4)
