"""Cost of a run: the plan's estimated GPU-hours beside what the ledger says was spent.

The scheduler records, per task, `device_seconds` = wall seconds x the task's
GPUs (GPU work) or x its CPUs (CPU work), and the task's `device` ("cuda" or
"cpu"). A GPU stage run with --allow-cpu runs on CPU and is charged CPU time,
so the split follows the task's recorded device, falling back to the stage's
`gpus` for a task that never started. Cached tasks never start: they cost
nothing in this run, though the estimate counts them (it prices the whole plan).
"""
from __future__ import annotations

from typing import Any

HOUR = 3600.0


def cost_summary(plan, ledger, run_id: str) -> dict[str, Any]:
    estimated = plan.stage_hours()
    spent: dict[str, dict[str, float]] = {name: {"gpu": 0.0, "cpu": 0.0} for name in plan.stages}
    cached = {name: 0 for name in plan.stages}
    for task in ledger.tasks(run_id):
        stage = task["stage"]
        if stage not in spent:
            continue  # a task of a stage this plan no longer has (another profile)
        if task["status"] == "cached":
            cached[stage] += 1
        seconds = float(task.get("device_seconds") or 0.0)
        spent[stage]["gpu" if _on_gpu(task.get("device"), plan.stages[stage].gpus) else "cpu"] += seconds
    per_stage = [{"stage": name,
                  "estimated_gpu_hours": estimated[name],
                  "spent_gpu_hours": spent[name]["gpu"] / HOUR,
                  "spent_cpu_hours": spent[name]["cpu"] / HOUR,
                  "tasks": st.count, "cached": cached[name]}
                 for name, st in plan.stages.items()]
    return {"estimated_gpu_hours": sum(estimated.values()),
            "spent_gpu_hours": sum(s["spent_gpu_hours"] for s in per_stage),
            "spent_cpu_hours": sum(s["spent_cpu_hours"] for s in per_stage),
            "budget_gpu_hours": plan.spec.budget.gpu_hours,
            "per_stage": per_stage}


def _on_gpu(device: str | None, stage_gpus: float) -> bool:
    if device:
        return device.startswith("cuda")
    return stage_gpus > 0
