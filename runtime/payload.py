"""What the driver sends a worker for one task: everything the op needs, nothing live.

A payload is plain data (picklable, small): the op's name and resolved params, the
task's condition and seed, the store keys of its inputs, and the spec's model and
data entries the params name. The worker turns it into a `TaskContext`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specc.compiler.splits import ref_source, split_seed
from specc.compiler.refs import refs_in_params


@dataclass(frozen=True)
class InputArtifact:
    stage: str
    key: str
    produces: str                 # model | tokenizer | table
    condition: dict[str, Any]
    select: dict[str, Any]        # e.g. {"checkpoint": 200}: which of its outputs


@dataclass(frozen=True)
class DataEntry:
    source: Any                   # the spec's source model (TextSource, HubSource ...)
    files: tuple[Path, ...]
    split_seed: int = 0           # the seed its split and sampled limits use (splits.split_seed)
    digest: str = ""              # content digest of its files and split, as compiled


@dataclass(frozen=True)
class Parallelism:
    """A task on several data-parallel workers (runtime/distributed.py): how many, where,
    how the model is split, and what each worker reserves."""

    workers: int
    use_gpu: bool
    cpus: float                   # per worker
    memory: int | None            # per worker
    gpus_per_node: int | None = None
    sharding: str = "auto"        # auto | none | full | hybrid


@dataclass
class TaskPayload:
    task_id: str
    key: str
    stage: str
    op: str
    version: int
    params: dict[str, Any]
    condition: dict[str, Any]
    seed: int
    inputs: dict[str, list[InputArtifact]]
    models: dict[str, Any]        # name -> ConfigModel | HubModel | LocalModel
    data: dict[str, DataEntry]
    spec_dir: str
    store: str
    device: str                   # "cuda" or "cpu"
    produces: str
    parts: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1
    roots: tuple[str, ...] = ()   # the data roots: local paths are checked again when opened
    tracking: dict[str, str] | None = None  # MLflow: uri, experiment, run (runtime/tracking.py)
    parallel: Parallelism | None = None   # None: one process, the worker's own
    container: Any = None         # runtime.container.ContainerTask: run inside the pinned image


def key_parts(plan, task) -> dict[str, Any]:
    """What a task's cache key covers, digest by digest, so a miss can say why."""
    st = plan.stages[task.stage]
    code = f"+code:{st.code[:12]}" if st.code else ""
    return {"op": f"{st.op}@{st.version}{code}", "env": plan.env, **st.parts[task.combo],
            "condition": [list(kv) for kv in task.condition],
            "upstream": sorted(plan.tasks[i].key for i, _ in task.inputs)}


class PayloadBuilder:
    """Builds payloads for the tasks of one plan (the spec's entries resolved once)."""

    def __init__(self, plan, store_uri: str, cpu_only: bool):
        from specc.ops import OPS
        self.plan = plan
        self.store = store_uri
        self.cpu_only = cpu_only
        self.spec_dir = str(Path(plan.path).resolve().parent)
        self.ops = {name: OPS.get(st.op) for name, st in plan.stages.items()}
        from specc.compiler.datafiles import repository_root
        from .tracking import tracking_config
        self.tracking = tracking_config(repository_root(Path(self.spec_dir)))
        if self.tracking is not None:
            self.tracking.setdefault("experiment", plan.spec.name)
        from .container import container_task
        self.container = container_task(getattr(plan, "image", None))
        self._refs: dict[tuple, tuple[set[str], set[str]]] = {}

    def _names(self, stage: str, combo: tuple) -> tuple[set[str], set[str]]:
        """The `models:` and `data:` entries a stage's params name (per axis combo)."""
        found = self._refs.get((stage, combo))
        if found is None:
            op = self.ops[stage]
            params = op.params.model_validate(self.plan.stages[stage].params[combo])
            targets = {ref_source(value) for _p, _r, value in refs_in_params(params)}
            found = ({t for t in targets if t in self.plan.spec.models},
                     {t for t in targets if t in self.plan.spec.data})
            self._refs[(stage, combo)] = found
        return found

    def build(self, task, attempt: int = 1) -> TaskPayload:
        plan = self.plan
        st = plan.stages[task.stage]
        condition = dict(task.condition)
        inputs: dict[str, list[InputArtifact]] = {}
        for i, select in task.inputs:
            up = plan.tasks[i]
            inputs.setdefault(up.stage, []).append(InputArtifact(
                up.stage, up.key, self.ops[up.stage].produces, dict(up.condition), dict(select)))
        models, data = self._names(task.stage, task.combo)
        return TaskPayload(
            task_id=task.id, key=task.key, stage=task.stage, op=st.op, version=st.version,
            params=st.params[task.combo], condition=condition,
            seed=self._seed(task), inputs=inputs,
            models={n: plan.spec.models[n] for n in models},
            data={n: DataEntry(plan.spec.data[n], tuple(plan.data[n].files) if n in plan.data else (),
                               split_seed(getattr(plan.spec.data[n], "split", None), plan.spec.seed,
                                          self._seed(task)),
                               plan.data[n].digest if n in plan.data else "")
                  for n in data},
            spec_dir=self.spec_dir, store=self.store,
            device="cuda" if st.gpus > 0 and not self.cpu_only else "cpu",
            produces=self.ops[task.stage].produces, parts=key_parts(plan, task), attempt=attempt,
            roots=tuple(getattr(plan, "roots", ())), tracking=self.tracking,
            parallel=self._parallel(st), container=self.container)

    def _parallel(self, st) -> Parallelism | None:
        use_gpu = st.gpus > 0 and not self.cpu_only
        if st.workers <= 1 or (st.gpus > 0 and not use_gpu):  # --allow-cpu: one CPU process
            return None
        return Parallelism(st.workers, use_gpu, st.cpus, st.memory, st.gpus_per_node, st.sharding)

    def model_identity(self, task) -> str | None:
        """The model a task reads, as a string (for actor affinity): an upstream artifact
        and its selector, or a spec model entry; None for tasks that read none or train."""
        if self.ops[task.stage].produces == "model":
            return None  # training gets a fresh copy, never the shared one
        for i, select in task.inputs:
            up = self.plan.tasks[i]
            if self.ops[up.stage].produces == "model":
                return up.key + "".join(f"|{a}={v}" for a, v in sorted(select))
        models, _ = self._names(task.stage, task.combo)
        if not models:
            return None
        name = sorted(models)[0]
        return spec_model_identity(name, self.plan.spec.models[name], self._seed(task))

    def _seed(self, task) -> int:
        seed = dict(task.condition).get("seed", self.plan.spec.seed)
        return seed if isinstance(seed, int) else self.plan.spec.seed


def spec_model_identity(name: str, model: Any, seed: int) -> str:
    """A `models:` entry as loaded: a config model's weights depend on the seed it is built with."""
    return f"spec:{name}|seed={seed}" if getattr(model, "kind", None) == "config" else f"spec:{name}"
