"""The tables a run's measures read: a stage's tidy table (all its tasks stacked, with
their condition columns) or a tabular data source, as pandas DataFrames.

Only tasks whose artifacts exist are read: a hypothesis over a stage with failed
tasks is never computed on the survivors (the judge calls it inconclusive first).
It lives in the runtime (it reads the store and loads data sources); the verdicts
only see its `get` and `axes`.
"""
from __future__ import annotations

from typing import Any

import pandas as pd


class MeasureTables:
    def __init__(self, plan: Any, store: Any, available: set[str] | None = None):
        """`store`: an ArtifactStore; `available`: task ids whose artifacts may be read
        (None: every task whose key is in the store)."""
        self.plan, self.store, self.available = plan, store, available
        self._cache: dict[str, pd.DataFrame] = {}

    def get(self, source: str) -> pd.DataFrame:
        if source not in self._cache:
            self._cache[source] = self._load(source)
        return self._cache[source]

    def axes(self, source: str) -> tuple[str, ...]:
        """The condition axes of a stage (its `over`); none for a data source."""
        stage = self.plan.stages.get(source)
        return tuple(stage.over) if stage is not None else ()

    def _load(self, source: str) -> pd.DataFrame:
        plan = self.plan
        if source in plan.stages:
            st = plan.stages[source]
            frames = []
            for task in plan.tasks[st.first:st.first + st.count]:
                if self.available is not None and task.id not in self.available:
                    continue
                if not self.store.has(task.key):
                    continue
                frames.append(pd.read_parquet(self.store.local_path(task.key) / "table.parquet"))
            if not frames:
                raise LookupError(f"stage {source!r} has no finished task to read")
            return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        from specc.compiler.splits import ref_source, split_seed

        from .data import load_source
        base = ref_source(source)
        files = tuple(plan.data[base].files) if base in plan.data else ()
        from specc.compiler.datafiles import DataRoots
        roots = DataRoots.of(plan.roots) if getattr(plan, "roots", ()) else None
        spec_source = plan.spec.data[base]
        dataset = load_source(spec_source, files, source, roots=roots,
                              seed=split_seed(getattr(spec_source, "split", None), plan.spec.seed))
        return dataset.to_pandas()
