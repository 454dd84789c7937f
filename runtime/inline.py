"""Running a plan's tasks one after another in this process, without Ray.

For benchmarks, debugging an op, and op tests: the same payloads, worker code,
context and store as `specc run`, minus the scheduler and the actors. Tasks already
in the store are skipped, so a second call only runs what is missing.

    from specc.compiler import compile_spec
    from specc.runtime.inline import run_inline
    results = run_inline(compile_spec("spec.yaml"), ".specc/store", stages={"score"})
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .payload import PayloadBuilder
from .store import ArtifactStore
from .worker import ModelCache, execute


class TaskFailed(RuntimeError):
    """A task's op raised: the message carries its traceback."""


def run_inline(plan: Any, store: str | Path, stages: set[str] | None = None,
               cpu_only: bool = True) -> list[dict[str, Any]]:
    """Run the plan's tasks (those of `stages`, default all) in dependency order; returns
    the results of the tasks that ran. Raises TaskFailed on the first failure."""
    artifacts = ArtifactStore(store)
    builder = PayloadBuilder(plan, artifacts.uri, cpu_only=cpu_only)
    cache, stores, results = ModelCache(), {artifacts.uri: artifacts}, []
    for task in plan.tasks:  # the compiler lists every task after the tasks it reads
        if (stages is not None and task.stage not in stages) or artifacts.has(task.key):
            continue
        result = execute(builder.build(task), cache, stores)
        if result["status"] != "succeeded":
            raise TaskFailed(f"task {task.id} failed:\n{result.get('traceback') or result.get('error')}")
        results.append(result)
    return results
