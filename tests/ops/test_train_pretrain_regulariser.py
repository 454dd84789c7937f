"""train.pretrain's geometric regulariser: the penalty it adds, that it changes training
(and only when asked), and what it records."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from op_runner import OpRun
from pretrain_helpers import pretrain, same_weights, spec, weights

from specc.ops.train._regularise import mean_pairwise_cosine

REG = {"kind": "isotropy", "weight": 0.5}


def test_mean_pairwise_cosine_matches_the_similarity_matrix():
    import torch
    torch.manual_seed(0)
    h = torch.randn(2, 5, 8) + 2.0            # a shared offset: anisotropic vectors
    u = torch.nn.functional.normalize(h.reshape(-1, 8), dim=-1)
    sims = u @ u.T
    n = len(u)
    expected = (sims.sum() - sims.diagonal().sum()) / (n * (n - 1))
    assert torch.allclose(mean_pairwise_cosine(h), expected, atol=1e-6)
    same = torch.ones(4, 3)
    assert math.isclose(mean_pairwise_cosine(same).item(), 1.0, rel_tol=1e-6)
    opposite = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    assert math.isclose(mean_pairwise_cosine(opposite).item(), -1.0, rel_tol=1e-6)


def test_a_weight_must_be_positive(tmp_path):
    from specc.compiler.errors import SpecErrors
    with pytest.raises(SpecErrors) as err:
        OpRun(tmp_path, spec(pretrain("p", steps=1, regulariser={"kind": "isotropy", "weight": 0})))
    assert "weight" in str(err.value)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    stages = (pretrain("plain", steps=4) + pretrain("regularised", steps=4, regulariser=REG))
    r = OpRun(tmp_path_factory.mktemp("regulariser"), spec(stages))
    r.execute()
    return r


def test_the_regulariser_changes_training_and_is_recorded(run):
    plain, reg = (weights(run.folder(s) / "model") for s in ("plain", "regularised"))
    assert not same_weights(plain, reg)
    history = pd.read_parquet(run.folder("regularised") / "history.parquet")
    assert "penalty" in history.columns and history.penalty.between(-1, 1).all()
    assert "penalty" not in pd.read_parquet(run.folder("plain") / "history.parquet").columns
    facts = run.manifest("regularised")["facts"]
    assert facts["regulariser"] == REG and facts["final_penalty"] == pytest.approx(history.penalty.iloc[-1])
    assert run.manifest("plain")["facts"]["regulariser"] is None


def test_the_history_loss_is_next_token_loss_without_the_penalty(run):
    # Same weights before step 1 (same seed and data): the first step's loss is computed
    # before any update, so the two runs agree on it although one adds a penalty.
    first = [pd.read_parquet(run.folder(s) / "history.parquet").loss.iloc[0] for s in ("plain", "regularised")]
    assert first[0] == pytest.approx(first[1], rel=1e-6)
