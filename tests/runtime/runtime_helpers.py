"""Helpers of the runtime tests (a module of its own: every test folder has a `conftest`).

    Project(root)        a fresh repository folder (store and ledger in its .specc/)
    project.write(text)  writes spec.yaml (with `{log}` replaced by the project's folder,
                         for the tiny ops' `log:` param), returns its path
    project.run(...)     compiles and runs it here, returns (plan, RunResult); `judge=`
                         decides its hypotheses (see FakeJudge)
    project.executions() lines the tiny ops appended: (key, task id, what, pid, time)
    fan_in(...)          the usual spec body; table(...) reads a task's table from a store
"""
from __future__ import annotations

from pathlib import Path

HEADER = """\
specc: 1
name: {name}
title: Runtime test
question: Does the runtime do its job?
"""


def fan_in(xs: str = "1, 2", values: str = "", total: str = "") -> str:
    """The runtime tests' usual spec: `values` fans out over x (tiny.value), `total` adds
    them up (tiny.sum); `values` / `total` are extra param lines for each stage."""
    return (f"conditions:\n  x: [{xs}]\nstages:\n  values:\n    op: tiny.value\n    over: [x]\n"
            f"    value: ${{x}}\n{values}  total:\n    op: tiny.sum\n    of: values\n{total}")


class Project:
    def __init__(self, root: Path):
        self.root = root
        (root / ".git").mkdir(parents=True)  # the repository root: where .specc/ goes
        self.log = root / "executions.log"

    def write(self, body: str, name: str = "runtime-test", file: str = "spec.yaml") -> Path:
        path = self.root / file
        path.write_text(HEADER.format(name=name) + body.replace("{log}", str(self.root)))
        return path

    def run(self, body: str | None = None, judge=None, **options):
        from specc.compiler import compile_spec
        from specc.runtime.run import RunOptions, run_plan
        path = self.write(body) if body is not None else self.root / "spec.yaml"
        plan = compile_spec(path)
        return plan, run_plan(plan, RunOptions(argv=["test"], **options), judge=judge)

    def executions(self, what: str = "ran") -> list[tuple[str, ...]]:
        if not self.log.exists():
            return []
        rows = [tuple(line.split()) for line in self.log.read_text().splitlines()]
        return [r for r in rows if r[2] == what]


def table(plan, store_root: Path, task_id: str):
    import pandas as pd
    from specc.runtime.store import ArtifactStore
    key = next(t.key for t in plan.tasks if t.id == task_id)
    return pd.read_parquet(ArtifactStore(store_root).local_path(key) / "table.parquet")


class FakeJudge:
    """A judge with fixed verdicts ({hypothesis: status}); records each call as
    (hids, unavailable, phase, available task ids, time). With no verdicts it records
    the calls and lets specc.verdicts.judge decide."""

    def __init__(self, verdicts: dict[str, str] | None = None):
        self.verdicts = verdicts
        self.calls: list[tuple] = []

    def __call__(self, plan, tables, hids, unavailable, phase):
        import time
        from specc.verdicts import HypothesisResult, judge
        self.calls.append((list(hids), dict(unavailable), phase, set(tables.available), time.time()))
        if self.verdicts is None:
            return judge(plan, tables, hids, unavailable, phase)
        out = {}
        for h in hids:
            hyp = plan.spec.hypotheses[h]
            out[h] = HypothesisResult(h, hyp.statement, hyp.kind, hyp.measure, hyp.expect,
                                      self.verdicts[h], "fixed by the test", family=phase)
        return out
