"""Per-step training metrics as TensorBoard event files (and an MLflow run when configured).

`ctx.metrics(step, loss=..., lr=...)` lands here. Scalars go to TensorBoard's event
format — the format every viewer reads (TensorBoard, VS Code, W&B and MLflow importers)
— under `train/<name>`, written by a background thread that flushes every few seconds,
so a run can be watched while it trains. The writer lives in the task's resume folder
(`<store>/.resume/<key>/tensorboard/`), which survives a failed attempt: a resumed
attempt continues the same curves (a `purge_step` at its first step tells TensorBoard to
drop what the failed attempt wrote past its last saved state). When the task commits,
the event files are copied into the artifact (`<store>/<key>/tensorboard/`), so every
finished run keeps them; `specc tensorboard RUN` links them under the run's task ids.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

FLUSH_SECONDS = 5      # how stale a live TensorBoard view may be
TAG_PREFIX = "train/"
FOLDER = "tensorboard"


class MetricsWriter:
    def __init__(self, logdir: Path, tracker: Any = None):
        self.logdir = logdir
        self.tracker = tracker       # runtime.tracking.MlflowTask or None
        self._writer = None
        self.steps = 0

    def write(self, step: int, scalars: dict[str, Any]) -> None:
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter
            self.logdir.mkdir(parents=True, exist_ok=True)
            self._writer = SummaryWriter(str(self.logdir), purge_step=step, flush_secs=FLUSH_SECONDS)
        values = {}
        for name, value in scalars.items():
            if value is None:
                continue
            value = float(value)
            values[name] = value
            self._writer.add_scalar(TAG_PREFIX + name, value, step)
        if self.tracker is not None:
            self.tracker.metrics(step, values)
        self.steps += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def export(self, out: Path) -> None:
        """Copy the event files into the artifact being committed."""
        self.close()
        if self.logdir.is_dir() and any(self.logdir.iterdir()):
            shutil.copytree(self.logdir, out / FOLDER, dirs_exist_ok=True)


def read_scalars(logdir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in the event files under `logdir` as {tag: [(step, value), ...]}, read
    with TensorBoard's own event reader (what the viewer shows, purges applied)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def link_run(run: dict[str, Any], tasks: list[dict[str, Any]], folder: Path) -> dict[str, str]:
    """Make `folder` a TensorBoard logdir of the run: one link per task that wrote events,
    named by its task id (`pretrain/model=tiny/seed=1` -> that task's events), pointing at
    the committed artifact's `tensorboard/` or, while the task runs (or after it failed),
    at its resume folder's. Returns {task id: events location}; on a remote store the
    locations are URIs (nothing is linked: pass them to `--logdir_spec`)."""
    import os

    from .store import RESUME, ArtifactStore
    from .task_logs import task_folder
    store = ArtifactStore(run["store"], create=False)
    found: dict[str, str] = {}
    for t in tasks:
        committed = f"{store.path(t['key'])}/{FOLDER}"
        if store.fs.exists(committed):
            found[t["task_id"]] = committed
        elif store.local and (Path(store.root) / RESUME / t["key"] / FOLDER).is_dir():
            found[t["task_id"]] = str(Path(store.root) / RESUME / t["key"] / FOLDER)
    if store.local:
        shutil.rmtree(folder, ignore_errors=True)   # links only: the events stay where they are
        for task_id, target in found.items():
            link = folder / task_folder(task_id)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, link, target_is_directory=True)
    return found
