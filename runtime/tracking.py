"""Optional MLflow tracking: each task a run, with its params and metrics.

Configured in the repository's `specc.toml` (project configuration, never a spec):

    [tracking]
    mlflow_uri = "http://mlflow.internal:5000"    # or "file:./mlruns", "sqlite:///mlflow.db"
    experiment = "my-lab"                          # default: the spec's name

Relative `file:` paths are relative to specc.toml. The worker running a task opens the
MLflow run (name: the task id; tags: specc run, task, stage, op, cache key, attempt),
logs the resolved params and the condition, the per-step metrics of `ctx.metrics`
(batched: one request per FLUSH_SECONDS or MAX_BATCH points), the numeric facts the
op recorded at the end, and ends it FINISHED or FAILED. MLflow is an optional extra
(`pip install 'specc[mlflow]'`, the client only); tracking never fails a task: an
unreachable server is reported once in the task's log and the task goes on.
"""
from __future__ import annotations

import os
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

FLUSH_SECONDS = 5.0
MAX_BATCH = 1000          # MLflow's limit of metrics per log_batch
PARAM_CHARS = 6000        # MLflow's limit of a param value


def tracking_config(repo_root: Path) -> dict[str, str] | None:
    """{"uri", "experiment"?} from specc.toml's [tracking], or None when not configured."""
    config = Path(repo_root) / "specc.toml"
    try:
        section = tomllib.loads(config.read_text()).get("tracking", {}) if config.is_file() else {}
    except (tomllib.TOMLDecodeError, OSError):
        return None
    uri = section.get("mlflow_uri")
    if not isinstance(uri, str) or not uri:
        return None
    if uri.startswith("file:") and not uri.startswith("file:/"):
        uri = "file:" + str((Path(repo_root) / uri[len("file:"):]).resolve())
    found = {"uri": uri}
    if isinstance(section.get("experiment"), str):
        found["experiment"] = section["experiment"]
    return found


class MlflowTask:
    """One task's MLflow run, opened on the worker when the task starts."""

    def __init__(self, payload: Any, tracking: dict[str, str]):
        self.client = self.run_id = None
        self._warned = False
        self.pending: list[Any] = []
        self.flushed = time.monotonic()
        try:
            self._start(payload, tracking)
        except Exception as exc:  # noqa: BLE001 - tracking is best effort, the task is not
            self._warn(exc)

    def _start(self, payload: Any, tracking: dict[str, str]) -> None:
        if tracking["uri"].startswith("file:"):
            # MLflow 3 refuses its file store unless asked; a file URI in specc.toml is asking.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        from mlflow import MlflowClient
        from mlflow.entities import Param
        self.client = client = MlflowClient(tracking_uri=tracking["uri"])
        name = tracking["experiment"]
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            try:
                experiment_id = client.create_experiment(name)
            except Exception:  # another worker created it first
                experiment_id = client.get_experiment_by_name(name).experiment_id
        else:
            experiment_id = experiment.experiment_id
        tags = {"specc.task": payload.task_id, "specc.stage": payload.stage, "specc.op": payload.op,
                "specc.key": payload.key, "specc.attempt": str(payload.attempt)}
        if tracking.get("run"):
            tags["specc.run"] = tracking["run"]
        run = client.create_run(experiment_id, run_name=payload.task_id, tags=tags)
        self.run_id = run.info.run_id
        flat = {**_flatten(payload.params), **{f"condition.{k}": v for k, v in payload.condition.items()}}
        params = [Param(k, str(v)[:PARAM_CHARS]) for k, v in sorted(flat.items())]
        for i in range(0, len(params), 100):   # MLflow's limit of params per batch
            client.log_batch(self.run_id, params=params[i:i + 100])

    def metrics(self, step: int, values: dict[str, float]) -> None:
        if self.run_id is None:
            return
        from mlflow.entities import Metric
        stamp = int(time.time() * 1000)
        self.pending += [Metric(k, v, stamp, step) for k, v in values.items()]
        if len(self.pending) >= MAX_BATCH or time.monotonic() - self.flushed > FLUSH_SECONDS:
            self._flush()

    def _flush(self) -> None:
        pending, self.pending = self.pending, []
        self.flushed = time.monotonic()
        try:
            for i in range(0, len(pending), MAX_BATCH):
                self.client.log_batch(self.run_id, metrics=pending[i:i + MAX_BATCH])
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)

    def end(self, succeeded: bool, facts: dict[str, Any]) -> None:
        if self.run_id is None:
            return
        from mlflow.entities import Metric
        stamp = int(time.time() * 1000)
        self.pending += [Metric(f"final.{k}", float(v), stamp, 0) for k, v in _flatten(facts).items()
                         if isinstance(v, (int, float)) and not isinstance(v, bool)]
        self._flush()
        try:
            self.client.set_terminated(self.run_id, "FINISHED" if succeeded else "FAILED")
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)

    def _warn(self, exc: Exception) -> None:
        """Once, into the task's log; tracking stops for this task."""
        if not self._warned:
            print(f"specc: MLflow tracking off for this task: {type(exc).__name__}: {exc}", file=sys.stderr)
        self._warned = True
        self.run_id = None


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: value} if prefix else {}
