"""The compiled plan: tasks with ids, dependencies, cache keys and costs.

`to_json` is canonical: the same spec (and environment) gives byte-identical
output, which a test checks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Diagnostic
from .expand import StagePlan, Task
from .fingerprint import canonical_json
from .refs import format_value

PLAN_FORMAT = 1


@dataclass
class Plan:
    spec: Any
    path: str
    profile: str | None
    env: str
    spec_hash: str
    tasks: list[Task]
    stages: dict[str, StagePlan]
    warnings: list[Diagnostic] = field(default_factory=list)
    hypothesis_reads: dict[str, set[str]] = field(default_factory=dict)   # stages each one reads
    hypothesis_gates: dict[str, tuple[str, ...]] = field(default_factory=dict)  # hypotheses its gate names
    # The typed hypotheses (typed_hypothesis.CompiledHypothesis): what every later layer reads.
    hypotheses: dict[str, Any] = field(default_factory=dict)
    # Each gated stage's own `when:`, parsed (gates.Gate).
    stage_gates: dict[str, Any] = field(default_factory=dict)
    # Data sources as the compiler resolved them (files, digests): what tasks read at run time.
    data: dict[str, Any] = field(default_factory=dict)
    # The data roots every local path must lie in (the repository first): workers check again.
    roots: tuple[str, ...] = ()
    # The pinned image tasks run in (specc.containers.resolve.RunImage), None for host runs.
    image: Any = None
    # What the spec's `leakage:` checks found (data_reads.LeakageResult), for the reports.
    leakage: list[Any] = field(default_factory=list)

    @property
    def device_flops(self) -> float:
        b = self.spec.budget
        return b.device_tflops * 1e12 * b.utilization

    def stage_hours(self) -> dict[str, float]:
        efficiency = self.spec.budget.parallel_efficiency
        return {n: s.hours(self.tasks, self.device_flops, efficiency) for n, s in self.stages.items()}

    @property
    def total_gpu_hours(self) -> float:
        return sum(self.stage_hours().values())

    def stage_rows(self) -> list[dict[str, Any]]:
        """One summary row per stage, for `specc plan`."""
        hours = self.stage_hours()
        rows = []
        for name, st in self.stages.items():
            flops = sum(st.costs[t.cost_key].flops for t in self.tasks[st.first:st.first + st.count])
            tokens = sum(st.costs[t.cost_key].tokens for t in self.tasks[st.first:st.first + st.count])
            rows.append({"stage": name, "op": f"{st.op}@{st.version}", "tasks": st.count,
                         "over": list(st.over), "gpus": st.gpus, "cpus": st.cpus, "memory": st.memory,
                         "world_size": st.workers, "gpus_per_node": st.gpus_per_node,
                         "sharding": st.sharding if st.workers > 1 else None,
                         "flops": flops, "tokens": tokens, "gpu_hours": hours[name],
                         # wall-clock hours if the stage's tasks ran one after another
                         "wall_hours": hours[name] / max(st.gpus, 1) if st.gpus > 0 else 0.0,
                         "upstream": list(st.upstream), "when": st.when})
        return rows

    def to_dict(self, tasks: bool = True) -> dict[str, Any]:
        b = self.spec.budget
        out: dict[str, Any] = {
            "format": PLAN_FORMAT, "spec": self.spec.name, "path": self.path, "profile": self.profile,
            "spec_hash": self.spec_hash, "env": self.env,
            "device": {"name": b.device, "tflops": b.device_tflops, "utilization": b.utilization},
            "budget_gpu_hours": b.gpu_hours, "estimated_gpu_hours": self.total_gpu_hours,
            "stages": self.stage_rows(),
        }
        if tasks:
            out["tasks"] = [self._task_dict(t) for t in self.tasks]
        return out

    def _task_dict(self, t: Task) -> dict[str, Any]:
        st = self.stages[t.stage]
        inputs = [{"task": self.tasks[i].id, **({"select": dict(sel)} if sel else {})} for i, sel in t.inputs]
        return {"id": t.id, "stage": t.stage, "op": st.op, "version": st.version,
                "condition": dict(t.condition), "params": st.params[t.combo], "inputs": inputs,
                "key": t.key, "flops": st.costs[t.cost_key].flops}

    def to_json(self, tasks: bool = True) -> str:
        return canonical_json(self.to_dict(tasks))

    def mermaid(self) -> str:
        """The stage graph as Mermaid text (tasks would be too many to draw)."""
        lines = ["flowchart LR"]
        for name, st in self.stages.items():
            label = f"{name}<br/>{st.op} x{st.count}"
            lines.append(f'    {name}["{label}"]')
        for name, st in self.stages.items():
            for up in st.upstream:
                lines.append(f"    {up} --> {name}")
        for hyp, reads in sorted(self.hypothesis_reads.items()):
            lines.append(f'    {hyp}{{"{hyp}"}}')
            for s in sorted(reads):
                if s in self.stages:
                    lines.append(f"    {s} -.-> {hyp}")
        for hyp, gates in sorted(self.hypothesis_gates.items()):
            for gate in gates:
                lines.append(f"    {gate} -. gate .-> {hyp}")
        for name, gate in self.stage_gates.items():
            for hyp in gate.hypotheses:
                lines.append(f'    {hyp} -. "{gate}" .-> {name}')
        return "\n".join(lines)

    def task_ids(self) -> list[str]:
        return [t.id for t in self.tasks]


def describe_condition(condition: tuple) -> str:
    return ", ".join(f"{a}={format_value(v)}" for a, v in condition)
