"""warmup_ratio, freeze and the APOLLO optimiser, run through TRL on tiny models."""
from __future__ import annotations

import importlib.util

import pytest
from finetune_runs import SFT_FIELDS, facts, finetune_run, history, weights

from specc.compiler.errors import SpecErrors

TWO_LAYERS = "  deep: {init: gpt2, n_layer: 2, n_embd: 32, n_head: 2, n_positions: 64}\n" \
             "  deep_llama: {init: llama, n_layer: 2, n_embd: 32, n_head: 2, n_positions: 64}\n"
APOLLO = importlib.util.find_spec("apollo_torch") is not None
OWN = "    tokenizer: tok\n    lr: 1.0e-3\n    batch_size: 4\n    max_length: 32\n"  # COMMON, without its model
APOLLO_STAGE = f"""\
  apollo:
    op: train.sft
    model: deep_llama
{OWN}    data: prefs
    fields: {SFT_FIELDS}
    steps: 3
    optimizer: apollo_adamw
    apollo: {{rank: 4, update_proj_gap: 2}}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = finetune_run(tmp_path_factory.mktemp("options"), f"""\
  warm:
    op: train.sft
{{common}}    data: prefs
    fields: {SFT_FIELDS}
    steps: 10
    warmup_ratio: 0.3               # ceil(0.3 x 10) = 3 warmup steps
    lr_schedule: cosine
  frozen:
    op: train.sft
    model: deep
{OWN}    data: prefs
    fields: {SFT_FIELDS}
    steps: 3
    freeze: {{layers: [0], embeddings: true}}
""" + (APOLLO_STAGE if APOLLO else ""), models=TWO_LAYERS)
    run.execute()
    return run


def test_warmup_ratio_warms_up_over_that_share_of_the_steps_then_decays(run):
    lr = history(run, "warm")["lr"].tolist()
    assert lr[0] < lr[1] < lr[2] < lr[3]          # rising over the first 3 steps
    assert lr[3] == pytest.approx(1e-3)           # the peak right after warmup
    assert lr[3] > lr[6] > lr[9]                  # cosine decay afterwards
    assert facts(run, "warm")["trl_config"]["warmup_steps"] == 0.3


def test_frozen_block_and_embeddings_keep_their_weights_the_rest_moves(run):
    start = deep_start(run).state_dict()
    done = weights(run.folder("frozen") / "model")
    import torch
    frozen = [k for k in done if k.startswith("transformer.h.0.") or k.startswith("transformer.w")]
    moved = [k for k in done if k.startswith("transformer.h.1.")]
    assert frozen and moved
    assert all(torch.equal(start[k], done[k]) for k in frozen)
    assert any(not torch.equal(start[k], done[k]) for k in moved)
    f = facts(run, "frozen")["frozen"]
    assert f["blocks"] == [0] and f["of_depth"] == 2 and f["embeddings"] is True
    assert 0 < f["frozen_params"] and 0 < f["trainable_params"]


def deep_start(run):
    """The `deep` model the frozen stage started from, rebuilt as the runtime built it."""
    from specc.runtime.models import build_model
    from specc.runtime.payload import PayloadBuilder
    from transformers import AutoTokenizer
    payload = PayloadBuilder(run.plan, str(run.store_root), cpu_only=True).build(run.tasks("frozen")[0])
    vocab = len(AutoTokenizer.from_pretrained(str(run.folder("tok") / "tokenizer")))
    return build_model(payload.models["deep"], vocab, seed=payload.seed)


@pytest.mark.skipif(not APOLLO, reason="the apollo extra (apollo-torch) is not installed")
def test_apollo_trains_and_is_recorded(run):
    cfg = facts(run, "apollo")["trl_config"]
    assert cfg["optim"] == "apollo_adamw" and "rank=4" in cfg["optim_args"]
    h = history(run, "apollo")
    assert h["step"].tolist() == [1, 2, 3] and h["loss"].notna().all()


def test_a_frozen_layer_beyond_a_config_models_depth_is_a_compile_error(tmp_path):
    with pytest.raises(SpecErrors, match="freeze"):
        finetune_run(tmp_path, f"""\
  frozen:
    op: train.sft
{{common}}    data: prefs
    fields: {SFT_FIELDS}
    steps: 3
    freeze: {{layers: [3]}}
""")
