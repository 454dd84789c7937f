"""probe.linear's cross-validation: a planted linear feature is recovered, shuffled labels
stay at chance; folds are seeded, stratified and keep groups whole."""
from __future__ import annotations

import numpy as np

from specc.ops.probe.linear import Params, cross_predict, fold_ids


def planted(n=400, width=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, width))
    w = rng.standard_normal(width)
    y = np.where(x @ w > 0, "a", "b")
    return x, y


def test_recovers_a_planted_feature_and_is_at_chance_on_shuffled_labels():
    x, y = planted()
    p = Params(activations="acts", label="y", seed=3)
    folds = fold_ids(y, None, 5, 3)
    predicted, majority = cross_predict(x, y, folds, p)
    assert np.mean(predicted == y) > 0.9
    shuffled = np.random.default_rng(1).permutation(y)
    predicted, majority = cross_predict(x, shuffled, folds, p)
    assert abs(np.mean(predicted == shuffled) - majority.mean()) < 0.1
    ridge = Params(activations="acts", label="y", estimator="ridge", seed=3)
    assert np.mean(cross_predict(x, y, folds, ridge)[0] == y) > 0.9


def test_folds_are_seeded_and_keep_groups_whole():
    _, y = planted()
    groups = np.repeat(np.arange(80), 5)
    a, b = fold_ids(y, groups, 5, 7), fold_ids(y, groups, 5, 7)
    assert np.array_equal(a, b) and set(a) == set(range(5))
    assert not np.array_equal(a, fold_ids(y, groups, 5, 8))
    for g in range(80):
        assert len(set(a[groups == g])) == 1
