"""Real Ray for the runtime tests: one embedded local Ray for the session, shared by
every in-process run (`specc run` reuses an initialised Ray and leaves it running).

    project            a fresh repository folder (store and ledger in its .specc/)
    project.write(text) writes spec.yaml (with `{log}` replaced by the project's folder,
                       for the tiny ops' `log:` param), returns its path
    project.run(...)   compiles and runs it here, returns (plan, RunResult)
    project.executions()  lines the tiny ops appended: (key, task id, what, pid, time)
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

HEADER = """\
specc: 1
name: {name}
title: Runtime test
question: Does the runtime do its job?
"""


@pytest.fixture(scope="session")
def ray_session():
    import ray
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


class Project:
    def __init__(self, root: Path):
        self.root = root
        (root / ".git").mkdir(parents=True)  # the repository root: where .specc/ goes
        self.log = root / "executions.log"

    def write(self, body: str, name: str = "runtime-test", file: str = "spec.yaml") -> Path:
        path = self.root / file
        path.write_text(HEADER.format(name=name) + body.replace("{log}", str(self.root)))
        return path

    def run(self, body: str | None = None, **options):
        from specc.compiler import compile_spec
        from specc.runtime.run import RunOptions, run_plan
        path = self.write(body) if body is not None else self.root / "spec.yaml"
        plan = compile_spec(path)
        return plan, run_plan(plan, RunOptions(argv=["test"], **options))

    def executions(self, what: str = "ran") -> list[tuple[str, ...]]:
        if not self.log.exists():
            return []
        rows = [tuple(line.split()) for line in self.log.read_text().splitlines()]
        return [r for r in rows if r[2] == what]


@pytest.fixture
def project(tmp_path):
    return Project(tmp_path)


def table(plan, store_root: Path, task_id: str):
    import pandas as pd
    from specc.runtime.store import ArtifactStore
    key = next(t.key for t in plan.tasks if t.id == task_id)
    return pd.read_parquet(ArtifactStore(store_root).local_path(key) / "table.parquet")


os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
