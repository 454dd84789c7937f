"""analyse.correlate equals scipy at every checkpoint, with a reference table joined to
each one, and the Fisher-z interval of the verdicts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from specc.ops import OPS
from specc.measures.correlations import fisher_z_interval

OP = OPS.get("analyse.correlate")


class Ctx:
    def __init__(self, tables):
        self.tables = tables

    def table(self, name):
        return self.tables[name]


def scores():
    rng = np.random.default_rng(0)
    rows = []
    for checkpoint in (10, 20, 30):
        for uid in range(12):
            for item in range(5):
                rows.append({"checkpoint": checkpoint, "UID": f"p{uid}", "item": item,
                             "correct": rng.random() < (uid + checkpoint / 10) / 16})
    humans = pd.DataFrame({"Condition": [f"p{u}" for u in range(12)], "total_mean": rng.random(12)})
    return pd.DataFrame(rows), humans


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_equals_scipy_at_every_checkpoint(method):
    score, humans = scores()
    p = OP.params(table="score", x="correct", x_by=["UID"], y_table="humans", y="total_mean",
                  y_by=["Condition"], per=["checkpoint"], method=method)
    out = OP.run(p, Ctx({"score": score, "humans": humans}))
    assert list(out["checkpoint"]) == [10, 20, 30]
    fn = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}[method]
    ref = humans.set_index("Condition")["total_mean"]
    for row in out.itertuples():
        x = score[score["checkpoint"] == row.checkpoint].groupby("UID")["correct"].mean()
        want = fn(x.to_numpy(), ref.loc[x.index].to_numpy())
        assert row.n == 12
        assert row.r == pytest.approx(want.statistic, abs=1e-12)
        assert row.p_value == pytest.approx(want.pvalue, abs=1e-12)
        assert (row.ci_low, row.ci_high) == pytest.approx(fisher_z_interval(row.r, 12, method, 0.95))


def test_same_table_row_by_row():
    score, _ = scores()
    score["other"] = score["item"] * 2.0 + score["correct"]
    out = OP.run(OP.params(table="score", x="correct", y="other", method="pearson"), Ctx({"score": score}))
    assert out["r"][0] == pytest.approx(stats.pearsonr(score["correct"], score["other"]).statistic)
