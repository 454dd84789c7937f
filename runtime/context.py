"""TaskContext: what an op's `run(params, ctx)` sees of the world.

An op never opens the store or the spec itself; it asks the context for the
things its params name and writes its own files under `ctx.out`:

    ctx.data("corpus.train")   a datasets.Dataset (a spec data source, or one part of it)
    ctx.table("evals")         a pandas DataFrame: every input table of that stage, stacked
    ctx.model("pretrain")      a causal LM on ctx.device (an upstream model, a checkpoint
                               of it, or a `models:` entry), in eval mode
    ctx.tokenizer("tok")       a transformers tokenizer
    ctx.artifacts("stage")     local folders of that stage's input artifacts
    ctx.batch_size(64)         64, halved after each out-of-memory retry
    ctx.resume_folder()        a folder that survives failed attempts: training resumes from it
    ctx.parallel               this process's part in a multi-worker task (ops/train/_parallel.py):
                               world size, rank, DDP/FSDP wrapping; world size 1 by default
    ctx.log("..."), ctx.record(tokens_per_s=...)   kept in the artifact's manifest
    ctx.progress(step, total, loss=...)   the live view and `specc status` (cheap: call every step)
    ctx.metrics(step, loss=..., lr=...)   per-step scalars: TensorBoard event files (+ MLflow)

Model artifacts follow one layout: `model/` (the final weights), `checkpoints/<n>/`
(one folder per value of the `checkpoint` axis) and `tokenizer/` when one was saved.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from specc.compiler.datafiles import DataRoots
from specc.compiler.splits import parse_data_ref, ref_source

from .payload import InputArtifact, TaskPayload, spec_model_identity
from .reporting import TaskState


class InputError(LookupError):
    """An op asked for something its task does not have (a bug in the op, not the spec)."""


def model_folder(artifact: Path, select: dict[str, Any]) -> Path:
    if "checkpoint" in select:
        return artifact / "checkpoints" / str(select["checkpoint"])
    return artifact / "model"


class TaskContext:
    def __init__(self, payload: TaskPayload, store, out: Path,
                 load_model: Callable[[str, Callable[[], Any]], Any], batch_scale: float = 1.0,
                 state: TaskState | None = None, echo: Callable[[str], None] | None = None,
                 tracker: Any = None, parallel: Any = None, resume_dir: Path | None = None):
        self.payload = payload
        self.task_id = payload.task_id
        self.key = payload.key
        self.condition = dict(payload.condition)
        self.seed = payload.seed
        self.device = payload.device
        self.out = out
        self._store = store
        self._load_model = load_model   # the worker's cache: (identity, loader) -> model
        self.batch_scale = batch_scale
        if parallel is None:
            from specc.ops.train._parallel import Replica
            parallel = Replica()
        self.parallel = parallel
        self._resume_dir = resume_dir   # a Ray Train worker's copy (runtime/distributed.py)
        self.logs: list[str] = []
        self.facts: dict[str, Any] = {}
        self._t0 = time.perf_counter()
        # Every local path is checked against these again as it is opened (None: unchecked).
        self.roots = DataRoots.of(payload.roots) if payload.roots else None
        self.state = state or TaskState(payload.task_id, payload.attempt)
        self._echo = echo              # ctx.log lines into the task's log (on a worker)
        self._tracker = tracker
        self._metrics = None

    # -- inputs -----------------------------------------------------------------------

    def artifacts(self, stage: str) -> list[Path]:
        return [self._store.local_path(a.key) for a in self._inputs(stage)]

    def _inputs(self, stage: str) -> list[InputArtifact]:
        found = self.payload.inputs.get(stage)
        if not found:
            raise InputError(f"task {self.task_id} has no input from stage {stage!r} "
                             f"(it has: {', '.join(self.payload.inputs) or 'none'})")
        return found

    def _one(self, name: str) -> InputArtifact:
        found = self._inputs(name)
        if len(found) != 1:
            raise InputError(f"task {self.task_id} reads {len(found)} artifacts of stage {name!r}, "
                             "where one was expected")
        return found[0]

    def table(self, name: str):
        """The stage's input tables stacked (a fan-in reads many), or a data source as a table."""
        import pandas as pd
        if ref_source(name) in self.payload.data:
            return self.data(name).to_pandas()
        frames = [pd.read_parquet(self._store.local_path(a.key) / "table.parquet") for a in self._inputs(name)]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def data(self, name: str):
        """A data source, one part of it, or a limited reference (`prefs.heldout[:60]`).
        What it read (records, limit, split seed) is recorded in the manifest."""
        from .data import load_source
        entry = self.payload.data.get(ref_source(name))
        if entry is None:
            raise InputError(f"task {self.task_id}: data source {ref_source(name)!r} is not among its inputs")
        dataset = load_source(entry.source, entry.files, name, seed=entry.split_seed, roots=self.roots)
        parsed = parse_data_ref(name)
        split = getattr(entry.source, "split", None)
        read = self.facts.setdefault("data_read", {})
        read[name] = {"records": len(dataset) if hasattr(dataset, "__len__") else None,
                      "limit": parsed.limit if parsed else None,
                      "sample": bool(parsed and parsed.sample),
                      "split_seed": entry.split_seed if split is not None or (parsed and parsed.sample) else None,
                      "group_by": getattr(split, "group_by", None),
                      "per_seed": bool(getattr(split, "per_seed", False))}
        return dataset

    def data_kind(self, name: str) -> str:
        """How a data source is stored: text | jsonl | csv | parquet | hub. A plain-text
        file has one record per line in the column `text`."""
        entry = self.payload.data.get(ref_source(name))
        if entry is None:
            raise InputError(f"task {self.task_id}: data source {name!r} is not among its inputs")
        return getattr(entry.source, "kind", "hub")

    def model(self, name: str, vocab_size: int | None = None, dtype: str | None = None):
        """A model to read: loaded once per worker and shared by the tasks that read it.
        Ops that train (produce a model) get their own fresh copy instead.

        `vocab_size` sizes a `models:` entry built from config that sets none (use the
        tokenizer's); `dtype` ("float32", "bfloat16", "float16") casts the weights. Both
        are part of the model's identity in the worker's cache.
        """
        if name in self.payload.models:
            spec_model = self.payload.models[name]
            identity = spec_model_identity(name, spec_model, self.seed)
            if vocab_size is not None and getattr(spec_model, "vocab_size", None) is None:
                identity += f"|vocab={vocab_size}"   # sized to the tokenizer
            loader = lambda: self._build_spec_model(spec_model, vocab_size)  # noqa: E731
        else:
            art = self._one(name)
            identity = art.key + "".join(f"|{a}={v}" for a, v in sorted(art.select.items()))
            loader = lambda: self._load_artifact_model(art)  # noqa: E731
        if dtype is not None:
            identity += f"|dtype={dtype}"
            loader = _cast(loader, dtype)
        if self.payload.produces == "model":
            return loader()
        return self._load_model(identity, loader)

    def model_path(self, name: str) -> Path:
        """The folder holding an upstream model's weights (a checkpoint's, when selected)."""
        art = self._one(name)
        return model_folder(self._store.local_path(art.key), art.select)

    def tokenizer(self, name: str):
        import transformers
        if name in self.payload.models:
            m = self.payload.models[name]
            if getattr(m, "kind", None) == "config":
                raise InputError(f"model {name!r} is built from config and has no tokenizer of its "
                                 "own: name a train.tokenizer stage in the stage's `tokenizer:`")
            from .models import model_source
            source, revision = model_source(m, Path(self.payload.spec_dir), self.roots)
            return transformers.AutoTokenizer.from_pretrained(source, revision=revision,
                                                              local_files_only=revision is None)
        root = self._store.local_path(self._one(name).key)
        return transformers.AutoTokenizer.from_pretrained(str(root / "tokenizer"), local_files_only=True)

    def _build_spec_model(self, spec_model, vocab_size: int | None = None):
        from .models import build_model
        return self._place(build_model(spec_model, vocab_size, Path(self.payload.spec_dir), self.seed,
                                       self.roots))

    def _load_artifact_model(self, art: InputArtifact):
        import transformers
        folder = model_folder(self._store.local_path(art.key), art.select)
        return self._place(transformers.AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True))

    def _place(self, model):
        model.to(self.device)
        if self.payload.produces != "model":
            model.eval()
        return model

    # -- running ----------------------------------------------------------------------

    def resume_folder(self) -> Path:
        """A folder kept across this task's attempts until it commits: an op that saves
        its progress here (training state) resumes after a crash or a killed run. In a
        multi-worker task each worker has its own copy, made durable by `parallel.persist`."""
        if self._resume_dir is not None:
            return self._resume_dir
        return self._store.resume_folder(self.key)

    def shared_folder(self, kind: str, key: str) -> Path:
        """A store folder for derived data other tasks reuse (tokenized corpus shards):
        may not exist yet; publish it whole (write elsewhere, then rename)."""
        return self._store.shared_folder(kind, key)

    def data_identity(self, name: str) -> dict[str, Any]:
        """What a reference's records depend on: the source's content digest (files, split),
        the split seed and the reference itself (part, limit). For caches of derived data."""
        entry = self.payload.data.get(ref_source(name))
        if entry is None:
            raise InputError(f"task {self.task_id}: data source {name!r} is not among its inputs")
        return {"digest": entry.digest, "split_seed": entry.split_seed, "ref": name}

    def batch_size(self, requested: int) -> int:
        """The batch size to use now: the requested one, halved after each OOM retry."""
        return max(1, int(requested * self.batch_scale))

    def log(self, message: str) -> None:
        line = f"{time.perf_counter() - self._t0:8.2f}s {message}"
        self.logs.append(line)
        if self._echo is not None:
            self._echo(line)

    def progress(self, step: float, total: float | None = None, **metrics: Any) -> None:
        """How far the task is (`step` of `total`, in whatever unit the op counts: optimiser
        steps, batches, items) and its current metrics, for the live view, the plain log and
        `specc status`. Costs a tuple assignment: the driver polls the latest values about
        once a second, so call it as often as convenient (every step)."""
        self.state.progress(step, total, metrics)

    def metrics(self, step: int, **scalars: Any) -> None:
        """Per-step scalars (loss, lr, grad_norm, tokens_per_s, mfu ...) written as TensorBoard
        events under the task's folder while it runs (and to MLflow when configured); None
        values are left out."""
        if self._metrics is None:
            from .metrics import FOLDER, MetricsWriter
            self._metrics = MetricsWriter(self.resume_folder() / FOLDER, self._tracker)
        self._metrics.write(step, scalars)

    def finish_metrics(self, out: Path | None) -> None:
        """Close the event files; with `out` (the task succeeded), copy them into the artifact."""
        if self._metrics is None:
            return
        if out is not None:
            self._metrics.export(out)
        else:
            self._metrics.close()

    def record(self, **facts: Any) -> None:
        """Facts about how the task ran (precision, tokens/s ...), kept in the manifest."""
        self.facts.update(facts)


def _cast(loader: Callable[[], Any], dtype: str) -> Callable[[], Any]:
    def load():
        import torch
        return loader().to(getattr(torch, dtype))
    return load
