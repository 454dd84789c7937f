"""The realised injection of a stage whose fraction is an axis: one row per declared share."""
from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from specc.report.injection import realised_injection


def _task(key, combo):
    return NS(key=key, combo=combo)


class Store:
    def __init__(self, facts):
        self.facts = facts

    def has(self, key):
        return key in self.facts

    def manifest(self, key):
        return {"facts": self.facts[key]}


def test_a_rate_axis_gives_one_row_per_declared_share():
    inject = lambda f: [{"mode": "insert_documents", "fraction_of": "documents", "fraction": f / 2}] * 2
    params = {(r,): {"inject": inject(r)} for r in (0.0, 0.05, 0.1)}
    tasks = [_task(f"k{r}-{s}", (r,)) for r in (0.0, 0.05, 0.1) for s in (1, 2)]
    plan = NS(stages={"pretrain": NS(op="train.pretrain", first=0, count=len(tasks), params=params)},
              tasks=tasks)
    facts = {t.key: {"injection": {"document_share": t.combo[0] + 0.001 * int(t.key[-1]),
                                   "token_share": t.combo[0] / 10}}
             for t in tasks if t.combo[0]}
    rows = realised_injection(plan, Store(facts))
    assert [r["declared"] for r in rows] == [0.05, 0.1]          # the vanilla rate declares none
    assert rows[0]["tasks"] == 2 and rows[0]["unit"] == "documents"
    assert rows[0]["realised"]["documents"] == pytest.approx([0.051, 0.052])
    assert rows[1]["realised"]["tokens"] == [0.01, 0.01]
