"""The in-process executor (runtime/local.py): `--executor local` runs every phase without
starting Ray (`auto`: a lone CPU task), with the same results and ledger rows as Ray."""
from __future__ import annotations

import pytest

from runtime_helpers import Project, fan_in, table
from specc.runtime.local import use_local
from specc.runtime.cluster import Shape

CPU, GPU = Shape(0.0, 1.0, None), Shape(1.0, 1.0, None)


def test_auto_chooses_local_only_for_a_lone_cpu_task_without_a_cluster():
    assert use_local("auto", None, [3], [CPU])
    assert not use_local("auto", None, [3, 4], [CPU, CPU])        # parallel work: Ray
    assert not use_local("auto", None, [3], [GPU])                # a GPU worker: Ray
    assert not use_local("auto", "auto", [3], [CPU])              # joining a cluster: Ray
    assert use_local("local", None, [1, 2, 3], [CPU, GPU, CPU])
    assert not use_local("ray", None, [3], [CPU])


def _ledger_rows(plan, run_id):
    from specc.runtime.run import open_ledger
    ledger = open_ledger(plan)
    try:
        tasks = {t["task_id"]: (t["status"], t["error"] is None) for t in ledger.tasks(run_id)}
        attempts = sorted((a["task_id"], a["attempt"], a["status"]) for a in ledger.attempts(run_id))
        return tasks, attempts, ledger.run(run_id)["status"]
    finally:
        ledger.close()


@pytest.mark.parametrize("executor", ["auto", "local"])
def test_a_one_task_spec_runs_without_ray(tmp_path, executor):
    project = Project(tmp_path)
    body = "conditions:\n  x: [7]\nstages:\n  values: {op: tiny.value, over: [x], value: \"${x}\"}\n"
    plan, result = project.run(body, executor=executor)
    assert result.ok and result.counts == {"cached": 0, "succeeded": 1}
    assert "ray_start" not in result.phases and "tasks" in result.phases
    assert table(plan, tmp_path / ".specc" / "store", "values/x=7")["value"].tolist() == [7.0]
    tasks, attempts, status = _ledger_rows(plan, result.run_id)
    assert tasks == {"values/x=7": ("succeeded", True)} and attempts == [("values/x=7", 1, "succeeded")]
    assert status == "succeeded"


@pytest.mark.slow
def test_local_and_ray_leave_the_same_results_and_ledger(tmp_path, ray_session):
    body = fan_in("1, 2, 3").replace("    value: ${x}\n", "    value: ${x}\n    fail: ${fail}\n")
    body = body.replace("conditions:\n  x: [1, 2, 3]",
                        "conditions:\n  zip:\n    - x: [1, 2, 3]\n      fail: [false, false, true]")
    body = body.replace("over: [x]", "over: [x, fail]", 1)
    runs = {}
    for executor in ("local", "ray"):
        project = Project(tmp_path / executor)
        plan, result = project.run(body, executor=executor)
        runs[executor] = (result.counts, sorted(result.failed), _ledger_rows(plan, result.run_id),
                          table(plan, project.root / ".specc" / "store", "values/x=1/fail=false")["value"].tolist())
        assert ("ray_start" in result.phases) == (executor == "ray")
    assert runs["local"] == runs["ray"]
    counts, failed, (tasks, _, status), _ = runs["local"]
    assert counts == {"cached": 0, "succeeded": 2, "failed": 1, "blocked": 1}
    assert tasks["total"] == ("skipped", True) and status == "failed"   # a reason, no error
    assert "told to fail" in failed[0][1]
