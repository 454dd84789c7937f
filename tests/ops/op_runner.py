"""Run a small spec's tasks in this process, without Ray: the op tests' way to call an
op's `run` through the real payload, context, worker and store.

    run = OpRun(tmp_path, body)   writes spec.yaml (data paths may use {shared}), compiles it
    run.execute()                 runs every task in dependency order; raises on a failure
    run.execute(stop="score")     runs the tasks of the stages up to and including `score`
    run.table("score")            the stage's output tables stacked (pandas)
    run.folder("pretrain")        the local folder of the stage's one artifact
    run.manifest("pretrain")      its manifest
"""
from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"

HEADER = """\
specc: 1
name: op-test
title: Op test
question: Does the op do its job?
seed: 0
"""


class OpRun:
    def __init__(self, root: Path, body: str):
        from specc.compiler import compile_spec
        self.root = root
        (root / ".git").mkdir(parents=True, exist_ok=True)
        path = root / "spec.yaml"
        path.write_text(HEADER + body.replace("{shared}", str(SHARED)))
        (root / "specc.toml").write_text(f'[data]\nroots = ["{SHARED}"]\n')  # shared data is readable
        self.plan = compile_spec(path)
        self.store_root = root / "store"

    @property
    def store(self):
        from specc.runtime.store import ArtifactStore
        return ArtifactStore(self.store_root)

    def tasks(self, stage: str):
        return [t for t in self.plan.tasks if t.stage == stage]

    def execute(self, stop: str | None = None, only: str | None = None) -> list[dict]:
        """Run tasks in plan order (dependencies first): all of them, those of the stages up
        to `stop`, or only those of stage `only`. A failed task raises with its traceback."""
        from specc.runtime.inline import run_inline
        stages = None
        if only is not None:
            stages = {only}
        elif stop is not None:
            names = list(self.plan.stages)
            stages = set(names[:names.index(stop) + 1])
        return run_inline(self.plan, self.store_root, stages)

    def table(self, stage: str):
        import pandas as pd
        frames = [pd.read_parquet(self.store.local_path(t.key) / "table.parquet") for t in self.tasks(stage)]
        return pd.concat(frames, ignore_index=True)

    def folder(self, stage: str, index: int = 0) -> Path:
        return self.store.local_path(self.tasks(stage)[index].key)

    def manifest(self, stage: str, index: int = 0) -> dict:
        return self.store.manifest(self.tasks(stage)[index].key)
