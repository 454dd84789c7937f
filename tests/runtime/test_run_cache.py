"""Caching with real Ray: a rerun executes nothing; one change re-runs exactly what it touches."""
from __future__ import annotations

from collections import Counter

from runtime_helpers import fan_in, table

SPEC = fan_in("1, 2, 3, 4", values="    log: {log}\n", total="    log: {log}\n")


def test_fan_out_and_fan_in_run_and_write_tables(ray_session, project):
    plan, result = project.run(SPEC)
    assert result.ok and result.counts == {"cached": 0, "succeeded": 5}
    total = table(plan, project.root / ".specc" / "store", "total")
    assert total["total"].tolist() == [10.0] and total["n"].tolist() == [4]
    one = table(plan, project.root / ".specc" / "store", "values/x=3")
    assert one["value"].tolist() == [3.0] and one["x"].tolist() == [3]  # the condition column


def test_rerun_of_a_finished_spec_executes_nothing(ray_session, project):
    project.run(SPEC)
    before = len(project.executions())
    _, again = project.run()
    assert again.counts == {"cached": 5}
    assert len(project.executions()) == before == 5


def test_changing_one_condition_reruns_exactly_the_changed_tasks(ray_session, project):
    first, _ = project.run(SPEC)
    old_keys = {t.id: t.key for t in first.tasks}
    plan, result = project.run(SPEC.replace("x: [1, 2, 3, 4]", "x: [1, 2, 3, 5]"))
    runs = Counter(key for key, *_ in project.executions())
    assert max(runs.values()) == 1  # no key ran twice
    second = [line[1] for line in project.executions()[5:]]
    assert sorted(second) == ["total", "values/x=5"]  # the new condition and the fan-in over it
    assert sorted(t.id for t in plan.tasks if old_keys.get(t.id) != t.key) == sorted(second)
    assert result.counts == {"cached": 3, "succeeded": 2}


def test_tasks_run_in_parallel_on_two_workers(ray_session, project):
    body = SPEC.replace("    value: ${x}\n", "    value: ${x}\n    sleep: 0.5\n")
    project.run(body)
    spans = {}
    for key, task_id, what, pid, at in project.executions("ran") + project.executions("slept"):
        spans.setdefault(task_id, {})[what] = (float(at), pid)
    values = [s for t, s in spans.items() if t.startswith("values/")]
    assert len({s["ran"][1] for s in values}) == 2  # two worker processes
    starts = sorted(s["ran"][0] for s in values)
    ends = sorted(s["slept"][0] for s in values)
    assert starts[1] < ends[0]  # the second task started before the first one ended
