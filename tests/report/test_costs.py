"""cost_summary: estimates from the plan, GPU and CPU time spent from the ledger."""
from __future__ import annotations

import pytest
from specc.report.costs import cost_summary
from specc.runtime.ledger import Ledger


def test_spent_time_is_split_by_the_device_each_task_ran_on(tiny_plan, tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    run_id = ledger.start_run(tiny_plan, str(tmp_path / "store"), None, ["test"])
    values = [t for t in tiny_plan.tasks if t.stage == "values"]
    total = next(t for t in tiny_plan.tasks if t.stage == "total")
    cached = values[0]
    ledger.add_tasks(run_id, [(t.id, t.stage, "op", t.key, "cached" if t is cached else "pending", None, "{}")
                              for t in tiny_plan.tasks])
    # Two GPU tasks on a GPU, one GPU-stage task that ran on CPU (--allow-cpu), one CPU task.
    for task, device, seconds in [(values[1], "cuda", 1800.0), (values[2], "cuda", 1800.0),
                                  (values[3], "cpu", 720.0), (total, "cpu", 360.0)]:
        ledger.task_started(run_id, task.id, 1, "w", device)
        ledger.task_ended(run_id, task.id, "succeeded", seconds)
    ledger.flush()

    cost = cost_summary(tiny_plan, ledger, run_id)

    assert cost["budget_gpu_hours"] == 2
    assert cost["estimated_gpu_hours"] == pytest.approx(sum(tiny_plan.stage_hours().values()))
    stages = {s["stage"]: s for s in cost["per_stage"]}
    assert list(stages) == ["values", "total"]
    assert stages["values"]["spent_gpu_hours"] == pytest.approx(1.0)
    assert stages["values"]["spent_cpu_hours"] == pytest.approx(0.2)
    assert (stages["values"]["tasks"], stages["values"]["cached"]) == (4, 1)
    assert stages["total"]["spent_gpu_hours"] == 0.0
    assert stages["total"]["spent_cpu_hours"] == pytest.approx(0.1)
    assert cost["spent_gpu_hours"] == pytest.approx(1.0)
    assert cost["spent_cpu_hours"] == pytest.approx(0.3)
    ledger.close()
