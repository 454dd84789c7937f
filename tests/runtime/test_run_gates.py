"""Gates with real Ray: the run goes in phases, a verdict decides what runs next, and what
a closed gate skips is reported as skipped with the gate. The judge is mostly a fake with
fixed verdicts (runtime_helpers.FakeJudge); the rerun test lets specc.verdicts decide."""
from __future__ import annotations

import io

import pytest
from rich.console import Console

from runtime_helpers import FakeJudge

SPEC = """\
conditions:
  x: [1, 2]
stages:
  values: {op: tiny.value, over: [x], value: "${x}", log: "{log}"}
  rescue: {op: tiny.sum, of: values, when: H1 is not supported, log: "{log}"}
  after: {op: tiny.sum, of: rescue, log: "{log}"}
  followup: {op: tiny.sum, of: values, when: H1 is supported, log: "{log}"}
hypotheses:
  H1: {statement: Values are positive., measure: mean(values.value), expect: "> 0",
       kind: exploratory, interval: {method: none}}
  H2: {statement: Rescued., measure: mean(values.value), expect: "> 1",
       kind: exploratory, interval: {method: none}, when: H1 is not supported}
  H3: {statement: Rescued twice., measure: mean(values.value), expect: "> 2",
       kind: exploratory, interval: {method: none}, when: H2 is supported}
  H4: {statement: The follow-up agrees., measure: mean(followup.total), expect: "> 0",
       kind: exploratory, interval: {method: none}}
"""
CLOSED = 'gate "H1 is not supported" closed: H1 is supported'


def test_a_verdict_skips_one_branch_and_runs_the_other_in_a_later_phase(ray_session, project):
    from specc.compiler import compile_spec
    from specc.runtime.progress import Progress
    from specc.runtime.run import RunOptions, open_ledger, run_plan
    plan = compile_spec(project.write(SPEC))
    judge = FakeJudge({"H1": "supported", "H4": "refuted"})
    buffer = io.StringIO()
    result = run_plan(plan, RunOptions(argv=["test"]),
                      lambda p: Progress(p, Console(file=buffer, width=300), live=False), judge=judge)
    assert result.ok and result.counts == {"cached": 0, "succeeded": 3, "skipped": 2}

    # Phase 1 ran values and judged H1; phase 2 ran followup, then judged H4 (which reads it).
    (h1, unavailable1, phase1, available1, judged1), (h4, _, phase2, available2, _) = judge.calls
    assert (h1, unavailable1, phase1, available1) == (["H1"], {}, 1, {"values/x=1", "values/x=2"})
    assert (h4, phase2, available2) == (["H4"], 2, {"values/x=1", "values/x=2", "followup"})
    ran = {task: float(at) for _, task, _, _, at in project.executions()}
    assert set(ran) == {"values/x=1", "values/x=2", "followup"}
    assert max(ran["values/x=1"], ran["values/x=2"]) < judged1 < ran["followup"]

    # The closed branch, and everything downstream of it, is skipped with the gate named.
    tasks = {t["task_id"]: t for t in open_ledger(plan).tasks(result.run_id)}
    assert [(tasks[t]["status"], tasks[t]["reason"]) for t in ("rescue", "after")] == [("skipped", CLOSED)] * 2
    assert result.stage_skips == {"rescue": CLOSED, "after": CLOSED}
    assert f"stage rescue: 0 ran, 0 cached, 1 skipped of 1 — skipped: {CLOSED}" in buffer.getvalue()

    # Hypotheses gated shut are not tested, and say why; the judge never saw them.
    assert list(result.verdicts) == ["H1", "H2", "H3", "H4"]
    assert {h: r.status for h, r in result.verdicts.items()} == {
        "H1": "supported", "H2": "not tested", "H3": "not tested", "H4": "refuted"}
    assert result.verdicts["H2"].reason == CLOSED and result.verdicts["H2"].gate == "H1 is not supported"
    assert result.verdicts["H3"].reason == 'gate "H2 is supported" closed: H2 was not tested'


def test_rerun_of_a_finished_spec_runs_nothing_starts_no_ray_and_still_judges(ray_session, project,
                                                                               monkeypatch):
    from specc.runtime import run
    _, first = project.run(SPEC, judge=FakeJudge())          # specc.verdicts decides
    before = project.executions()

    class NoRay:
        def __init__(self, *args, **kwargs):
            raise AssertionError("a fully cached run started Ray")

    monkeypatch.setattr(run, "RayCluster", NoRay)
    judge = FakeJudge()
    _, again = project.run(judge=judge)
    assert project.executions() == before
    assert again.ok and again.counts == {"cached": 3, "skipped": 2}
    assert [(hids, phase) for hids, _, phase, _, _ in judge.calls] == [(["H1"], 1), (["H4"], 2)]
    statuses = {h: r.status for h, r in again.verdicts.items()}
    assert statuses == {h: r.status for h, r in first.verdicts.items()} == {
        "H1": "supported", "H2": "not tested", "H3": "not tested", "H4": "supported"}
    assert (again.verdicts["H1"].estimate, again.verdicts["H4"].estimate) == (1.5, 3.0)
    assert again.stage_skips == first.stage_skips == {"rescue": CLOSED, "after": CLOSED}


FAILING = """\
stages:
  good: {op: tiny.value, value: 1}
  bad: {op: tiny.value, value: 2, fail: true}
  more: {op: tiny.sum, of: good, when: H1 is supported}
hypotheses:
  H1: {statement: Bad beats good., measure: mean(bad.value) - mean(good.value), expect: "> 0",
       kind: exploratory, interval: {method: none}}
  H2: {statement: Good is positive., measure: mean(good.value), expect: "> 0",
       kind: exploratory, interval: {method: none}}
"""


def test_the_judge_is_told_which_stages_it_reads_failed(ray_session, project):
    judge = FakeJudge({"H1": "inconclusive", "H2": "supported"})
    _, result = project.run(FAILING, judge=judge)
    assert not result.ok and result.counts == {"cached": 0, "succeeded": 1, "failed": 1, "skipped": 1}
    [(hids, unavailable, phase, available, _)] = judge.calls
    assert (hids, phase, available) == (["H1", "H2"], 1, {"good"})
    assert list(unavailable) == ["bad"]
    assert unavailable["bad"].startswith("1 of 1 task failed (bad: ValueError: told to fail")
    assert result.stage_skips == {"more": 'gate "H1 is supported" closed: H1 is inconclusive'}
