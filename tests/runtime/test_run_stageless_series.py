"""Series summaries through the whole pipeline on published tables (no stages): compile,
estimate, bootstrap over the declared unit, verdict, and both reports. The estimates
match pandas/scipy; the intervals exist and hold the estimate."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

BODY = """\
seed: 3
data:
  dyn: {csv: dynamics.csv}
  humans: {csv: humans.csv}
  post: {csv: followup.csv}
hypotheses:
  H1:
    statement: Agreement with humans reaches rho = 0.5 within 40k tokens.
    measure: first_reaching(spearman(dyn.acc by UID, humans.agreement by UID) per tokens, level=0.5)
    expect: "<= 40000"
    interval: {method: percentile, n_resamples: 500}
  H2:
    statement: Agreement with humans peaks before the last checkpoint.
    measure: argmax(spearman(dyn.acc by UID, humans.agreement by UID) per checkpoint)
    expect: "< 64"
    interval: {method: percentile, n_resamples: 500}
  H3:
    statement: Conditions differ more than seeds do.
    measure: range(mean(post.alignment by seed) per condition) / median(std(post.alignment by seed) per condition)
    expect: "> 1"
    interval: {unit: seed, method: percentile, n_resamples: 500}
"""

CHECKPOINTS = [1, 2, 4, 8, 16, 32, 64]


@pytest.fixture
def published(project):
    return write_tables(project.root)


def write_tables(root):
    rng = np.random.default_rng(2)
    uids = [f"p{i}" for i in range(16)]
    human = rng.random(16)
    rows = [{"checkpoint": cp, "tokens": cp * 1000, "UID": u, "acc": h * min(cp, 16) / 16 + rng.normal(0, 0.15)}
            for cp in CHECKPOINTS for u, h in zip(uids, human)]
    dyn = pd.DataFrame(rows)
    dyn.to_csv(root / "dynamics.csv", index=False)
    humans = pd.DataFrame({"UID": uids, "agreement": human})
    humans.to_csv(root / "humans.csv", index=False)
    post = pd.DataFrame([{"condition": c, "seed": s, "item": i,
                          "alignment": shift + rng.normal(0, 0.1) + rng.normal(0, 0.5)}
                         for c, shift in zip("ABCDE", [0, .5, .2, .9, .4]) for s in range(10) for i in range(20)])
    post.to_csv(root / "followup.csv", index=False)
    return dyn, humans, post


def test_series_summaries_run_and_report(project, published):
    dyn, humans, post = published
    plan, result = project.run(BODY)
    curve = {cp: stats.spearmanr(rows.sort_values("UID").acc, humans.sort_values("UID").agreement).statistic
             for cp, rows in dyn.groupby("checkpoint")}
    curve = pd.Series(curve).sort_index()
    h1, h2, h3 = (result.verdicts[h] for h in ("H1", "H2", "H3"))
    assert h1.estimate == 1000 * curve[curve >= 0.5].index[0]
    assert h2.estimate == curve.idxmax()
    seed_means = post.groupby(["condition", "seed"]).alignment.mean().groupby(level="condition")
    assert h3.estimate == pytest.approx(np.ptp(seed_means.mean()) / np.median(seed_means.std()))
    assert h1.unit == "UID" and h1.unit_inferred and h3.unit == "seed" and not h3.unit_inferred
    for h in (h1, h2, h3):
        assert h.interval is not None, h.reason
        assert h.interval.low <= h.estimate <= h.interval.high
    assert h3.interval.n_units == 10 and h3.status == "supported"
    report = (project.root / "reports" / "runtime-test" / "results.md").read_text()
    assert "over 10 seed units" in report
