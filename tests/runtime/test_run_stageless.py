"""A spec with no stages — hypotheses over data sources alone, e.g. re-analysing a published
table — compiles and runs without starting Ray; its verdicts match scipy, and the default
resampling unit of a `by` join is its key."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

BODY = """\
seed: 3
data:
  table: {csv: published.csv}
  humans: {csv: humans.csv}
hypotheses:
  H1:
    statement: Model surprisal tracks human judgements across paradigms.
    measure: spearman(table.gpt2 by UID, humans.agreement by Condition) where table.UID != "overall"
    expect: "> 0"
    interval: {n_resamples: 2000}
  H2:
    statement: GPT-2 beats the n-gram model, averaged over paradigms.
    measure: mean(table.gpt2 - table.ngram) where UID != "overall"
    expect: "> 0"
    interval: {method: none}
    test: {method: t}
"""


@pytest.fixture
def published(project):
    rng = np.random.default_rng(4)
    uids = [f"p{i}" for i in range(20)]
    human = rng.random(20)
    table = pd.DataFrame({"UID": uids + ["overall"], "item": range(21),
                          "gpt2": list(0.5 + 0.4 * human + rng.normal(0, 0.05, 20)) + [0.8],
                          "ngram": list(0.5 + rng.normal(0, 0.05, 20)) + [0.6]})
    table.to_csv(project.root / "published.csv", index=False)
    pd.DataFrame({"Condition": uids, "agreement": human}).to_csv(project.root / "humans.csv", index=False)
    return table, human


def test_a_stageless_spec_runs_without_ray(project, published, monkeypatch):
    import specc.runtime.run as run_module
    table, human = published

    def no_ray(*args, **kwargs):
        raise AssertionError("Ray must not start for a spec with no stages")
    monkeypatch.setattr(run_module.RayCluster, "start", no_ray)
    plan, result = project.run(BODY)
    assert plan.tasks == [] and "ray_start" not in result.phases
    h1, h2 = result.verdicts["H1"], result.verdicts["H2"]
    assert h1.estimate == pytest.approx(stats.spearmanr(table.gpt2[:20], human).statistic)
    assert h1.unit == "UID" and h1.interval.unit == "UID" and h1.interval.n_units == 20
    assert plan.hypotheses["H1"].unit_inferred and plan.hypotheses["H2"].unit == "item"
    diff = (table.gpt2 - table.ngram)[:20]
    assert h2.estimate == pytest.approx(diff.mean())
    assert h2.test.p == pytest.approx(stats.ttest_1samp(diff, 0, alternative="greater").pvalue)
    assert h1.status == "supported" and h2.status == "supported"
    assert h1.unit_inferred and h2.unit_inferred          # neither spec entry names a unit
    report = (project.root / "reports" / "runtime-test" / "results.md").read_text()
    assert "over 20 UID units (unit inferred)" in report
