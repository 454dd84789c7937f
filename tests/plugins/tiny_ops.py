"""Tiny ops for runtime tests and benchmarks, loaded with SPECC_PLUGINS=tiny_ops.

They do almost nothing, on purpose, and can be told to misbehave: sleep, raise,
kill their own worker process once, or run out of memory above a batch size.
Every execution appends its cache key to `<log>/executions.log` (the `log` param,
else $TINY_OPS_DIR, when set), so a test can count how often each task really ran.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from pydantic import Field

from specc.ops import Cost, ModelRef, Op, OpParams, TableRef


def _note(ctx, what: str = "ran") -> None:
    folder = ctx.payload.params.get("log") or os.environ.get("TINY_OPS_DIR")
    if folder:
        with open(Path(folder) / "executions.log", "a") as f:  # one short line: atomic append
            f.write(f"{ctx.key} {ctx.task_id} {what} {os.getpid()} {time.time():.6f}\n")


def _misbehave(params, ctx) -> None:
    if params.sleep:
        time.sleep(params.sleep)
        _note(ctx, "slept")
    if params.fail:
        raise ValueError(f"told to fail (value={getattr(params, 'value', None)})")
    folder = params.log or os.environ.get("TINY_OPS_DIR")
    if params.crash_once and folder:
        marker = Path(folder) / f"crashed-{ctx.key}"
        if not marker.exists():
            marker.write_text("x")
            _note(ctx, "crash")
            os._exit(1)  # the worker process dies: a Ray system failure, not an op error


class Misbehave(OpParams):
    sleep: float = Field(0.0, ge=0, description="Seconds to sleep.")
    fail: bool = Field(False, description="Raise an error (an op failure).")
    crash_once: bool = Field(False, description="Kill the worker process on the first attempt.")
    log: str | None = Field(None, description="Folder of the executions log (tests).")


class ValueParams(Misbehave):
    value: float = Field(0.0, description="The value to write.")
    oom_above: int | None = Field(None, description="Raise CUDA OOM while the batch size is above this.")
    batch: int = Field(64, gt=0, description="Requested batch size.")


def run_value(params: ValueParams, ctx):
    import pandas as pd
    _note(ctx)
    _misbehave(params, ctx)
    batch = ctx.batch_size(params.batch)
    if params.oom_above is not None and batch > params.oom_above:
        import torch
        raise torch.cuda.OutOfMemoryError(f"CUDA out of memory at batch {batch} (test)")
    return pd.DataFrame({"value": [params.value], "batch": [batch], "pid": [os.getpid()]})


class SumParams(Misbehave):
    of: TableRef = Field(description="Stage whose tables to add up.")


def run_sum(params: SumParams, ctx):
    import pandas as pd
    _note(ctx)
    _misbehave(params, ctx)
    table = ctx.table(params.of)
    return pd.DataFrame({"total": [float(table["value"].sum())], "n": [len(table)]})


class ModelStatParams(Misbehave):
    model: ModelRef = Field(description="Model to read.")


def run_model_stat(params: ModelStatParams, ctx):
    import pandas as pd
    _note(ctx)
    _misbehave(params, ctx)
    model = ctx.model(params.model)
    return pd.DataFrame({"n_params": [sum(p.numel() for p in model.parameters())],
                         "model_id": [id(model)], "pid": [os.getpid()]})


class ProgressParams(Misbehave):
    steps: int = Field(10, gt=0, description="Steps to take.")
    step_seconds: float = Field(0.1, ge=0, description="Seconds each step takes.")
    fail_at: int | None = Field(None, description="Raise after this step.")


def run_progress(params: ProgressParams, ctx):
    """A fake long op: reports progress and per-step metrics, prints a line per step."""
    import pandas as pd
    _note(ctx)
    _misbehave(params, ctx)
    ctx.log("starting the fake long op")
    for step in range(1, params.steps + 1):
        time.sleep(params.step_seconds)
        loss = 1.0 / step
        print(f"step {step} loss {loss:.4f}", flush=step % 2 == 0)  # half of them left buffered
        ctx.progress(step, params.steps, loss=loss)
        ctx.metrics(step, loss=loss, lr=0.1)
        if params.fail_at == step:
            raise RuntimeError(f"told to fail at step {step}")
    return pd.DataFrame({"steps": [params.steps]})


def _free(params, ctx) -> Cost:
    return Cost()


OPS = [
    Op("tiny.value", 1, ValueParams, "table", _free, "Write one row with `value`.",
       columns=lambda p: ("value", "batch", "pid"), run=run_value),
    Op("tiny.sum", 1, SumParams, "table", _free, "Add up the `value` column of input tables.",
       columns=lambda p: ("total", "n"), run=run_sum),
    Op("tiny.progress", 1, ProgressParams, "table", _free, "Take `steps` slow steps, reporting progress.",
       columns=lambda p: ("steps",), run=run_progress),
    Op("tiny.model_stat", 1, ModelStatParams, "table", _free, "Count the parameters of a model.",
       columns=lambda p: ("n_params", "model_id", "pid"), run=run_model_stat),
]
