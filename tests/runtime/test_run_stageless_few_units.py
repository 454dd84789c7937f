"""Five condition points, a correlation, `interval: none` and an exact permutation test with
`null: 0`: the p-value is the exhaustive one over all 5! pairings (scipy enumerates them when
they are fewer than n_permutations), and the verdict needs both the test and the estimate
reaching the threshold (a minimum effect)."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from specc.compiler.rules import decision_rule

BODY = """\
seed: 3
data:
  points: {csv: points.csv}
hypotheses:
  H1:
    statement: Cosine tracks alignment across the 5 conditions (r >= 0.5).
    measure: pearson(points.cosine by condition, points.alignment by condition)
    expect: ">= 0.5"
    interval: {method: none}
    test: {method: permutation, null: 0}
  H2:
    statement: The same, with a threshold the estimate does not reach.
    measure: pearson(points.cosine by condition, points.alignment by condition)
    expect: ">= 0.99"
    interval: {method: none}
    test: {method: permutation, null: 0}
decision: {correction: none, alpha: 0.05}
"""
COSINE = [0.10, 0.25, 0.30, 0.42, 0.55]
ALIGNMENT = [61.0, 64.0, 70.0, 69.0, 80.0]


def exhaustive_p(x, y) -> float:
    """Share of the 120 pairings of y with x whose r is at least the observed one."""
    observed = stats.pearsonr(x, y).statistic
    rs = [stats.pearsonr(x, perm).statistic for perm in itertools.permutations(y)]
    return float(np.mean(np.array(rs) >= observed - 1e-12))


@pytest.fixture
def points(project):
    pd.DataFrame({"condition": list("abcde"), "cosine": COSINE, "alignment": ALIGNMENT}).to_csv(
        project.root / "points.csv", index=False)


def test_exact_permutation_p_and_the_minimum_effect(project, points):
    plan, result = project.run(BODY)
    r = stats.pearsonr(COSINE, ALIGNMENT).statistic
    p = exhaustive_p(COSINE, ALIGNMENT)
    assert 0.9 < r < 0.99 and p < 0.05
    for hid in ("H1", "H2"):
        v = result.verdicts[hid]
        assert v.estimate == pytest.approx(r) and v.interval is None
        assert v.test.p == pytest.approx(p, abs=1e-12)       # exact: all 120 pairings
    assert result.verdicts["H1"].status == "supported"       # r >= 0.5 and p < 0.05
    assert result.verdicts["H2"].status == "inconclusive"    # p < 0.05 but r < 0.99
    rule = decision_rule(plan.hypotheses["H1"].expect, plan.spec.hypotheses["H1"].interval,
                         plan.spec.hypotheses["H1"].test, plan.spec.decision, "confirmatory")
    assert rule.startswith("supported when the estimate is >= 0.5 and the p < 0.05 "
                           "(permutation test against 0, greater)")


def test_null_is_left_out_of_the_locked_content_when_unset():
    from specc.compiler.spec_model import Test
    assert "null" not in Test(method="t").model_dump()
    assert Test(method="permutation", null=0).model_dump()["null"] == 0
