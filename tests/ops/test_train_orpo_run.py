"""train.orpo runs through TRL's ORPOTrainer and keeps the chosen/rejected log-likelihoods per step."""
from __future__ import annotations

import math

import pytest
from finetune_runs import PREFERENCE_FIELDS, differs, facts, finetune_run, history, starting_model, weights


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = finetune_run(tmp_path_factory.mktemp("orpo"), f"""\
  orpo:
    op: train.orpo
{{common}}    data: prefs
    fields: {PREFERENCE_FIELDS}
    beta: 0.2
    steps: 3
""")
    run.execute()
    return run


def test_writes_model_tokenizer_and_history(run):
    folder = run.folder("orpo")
    assert (folder / "model" / "model.safetensors").exists()
    assert (folder / "tokenizer" / "tokenizer.json").exists()
    assert not (folder / "checkpoints").exists()  # no checkpoint_every, no checkpoints


def test_history_has_finite_log_likelihoods_at_every_step(run):
    h = history(run, "orpo")
    assert h["step"].tolist() == [1, 2, 3]
    for column in ("loss", "lr", "logp_chosen", "logp_rejected", "nll_loss", "log_odds_ratio"):
        assert all(math.isfinite(v) for v in h[column]), column
    # ORPO's log-likelihoods are means per token: a 512-token vocabulary bounds an untrained
    # model's near log(1/512) = -6.2 per token, whatever the response length.
    assert h["logp_chosen"].between(-10, 0).all()
    assert set(h["logp_reduction"]) == {"mean"}
    # ORPO's rewards are beta times the log-likelihoods
    assert h["reward_chosen"].tolist() == pytest.approx((0.2 * h["logp_chosen"]).tolist(), rel=1e-5)


def test_weights_move_from_the_start(run):
    final = weights(run.folder("orpo") / "model")
    start = {k: v for k, v in starting_model(run, "orpo").state_dict().items() if k in final}
    assert differs(start, final)


def test_records_beta(run):
    f = facts(run, "orpo")
    assert f["trl_config"]["beta"] == 0.2 and f["examples"] == 40
