"""train.pretrain is deterministic given its seed: the same seed trains the same weights,
another seed other weights, and a stage that pins `seed:` uses it for the initial
weights as well as for the data order and dropout."""
from __future__ import annotations

import pytest
from op_runner import OpRun
from pretrain_helpers import pretrain, same_weights, spec, weights

BODY = spec(pretrain("by_seed", over=["seed"], steps=3)
            + pretrain("pinned", steps=3, seed=2),   # not over seed: the task's seed is the spec's 0
            dropout=0.1, conditions="conditions:\n  seed: [1, 2]\n")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    first, second = (OpRun(tmp_path_factory.mktemp(name), BODY) for name in ("first", "second"))
    first.execute()
    second.execute(only="tok")
    second.execute(only="by_seed")
    return first, second


def final(run: OpRun, stage: str, seed: int) -> dict:
    [index] = [i for i, t in enumerate(run.tasks(stage)) if dict(t.condition).get("seed", seed) == seed]
    assert run.manifest(stage, index)["facts"]["seed"] == seed
    return weights(run.folder(stage, index) / "model")


def test_same_seed_same_weights(runs):
    first, second = runs
    for seed in (1, 2):
        assert same_weights(final(first, "by_seed", seed), final(second, "by_seed", seed))


def test_another_seed_other_weights(runs):
    first, _ = runs
    assert not same_weights(final(first, "by_seed", 1), final(first, "by_seed", 2))


def test_a_pinned_seed_initialises_the_model_too(runs):
    first, _ = runs
    assert first.manifest("pinned")["condition"] == {}
    assert same_weights(final(first, "pinned", 2), final(first, "by_seed", 2))
