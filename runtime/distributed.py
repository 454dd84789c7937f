"""A task on N data-parallel workers: the op's `run` in a Ray Train worker group.

The task's actor (runtime/worker.py) calls `run_parallel` instead of the op's `run`. It starts
a Ray Train `TorchTrainer` with one worker per GPU (or `workers` CPU workers, gloo backend),
and each worker runs the op's ordinary `run` with a context of its own: `ctx.parallel` says
which worker it is (ops/train/_parallel.py wraps the model in DDP or FSDP and splits each
step's global batch), `ctx.out` and `ctx.resume_folder()` are folders of its own. Rank 0's
`ctx.out` becomes the artifact; the other workers' outputs are dropped.

Durable state. Workers may sit on other nodes than the actor, so nothing is shared through
local disk: a `Journal` keeps a run's resume folder as Ray Train checkpoints under the
task's storage (the store's resume folder, or `<store URI>/.resume/<key>` for a remote store:
multi-node runs need a store every node reaches, as the README says for clusters). Each
`persist` reports the files rank 0 changed since the last one as a checkpoint named
`<seq>-resume`; a worker that starts (first attempt, after Ray Train restarted the group
because a worker or node died, or in a new `specc run`) replays them in order into its own
resume folder and continues from the last saved state. The final outputs go the same way
(`<seq>-out`), and the actor copies them into the artifact.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

# Times Ray Train restarts the worker group after a worker (or its node) dies before the task
# fails; each restart resumes from the last persisted state. specc's own --retries come after.
RESTARTS = 2
RUN_NAME = "train"
# Passed on to the workers when set where the task runs: plugins, data roots, offline flags,
# and the test hooks that crash or kill a worker.
WORKER_ENV = ("SPECC_TEST_KILL_WORKER", "SPECC_TEST_PRETRAIN_CRASH_AT_STEP")
WORKER_FILE = ".specc-worker.json"   # rank 0's facts and logs, inside its final outputs
ENTRY = re.compile(r"^(\d{6})-(resume|out)$")


def storage_path(store, key: str) -> str:
    """Where the task's Ray Train checkpoints live (kept across attempts, dropped on commit)."""
    if store.local:
        return str(store.resume_folder(key) / "ray-train")
    return f"{store.uri.rstrip('/')}/.resume/{key}/ray-train"


def run_parallel(op, params, payload, ctx) -> None:
    """Run `op` on the payload's worker group; rank 0's outputs land in ctx.out, its facts and
    logs in ctx's. Raises what the workers raised (MemoryError for out-of-memory, so the
    worker's batch back-off applies)."""
    from ray.train import FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer

    par = payload.parallel
    per_worker: dict[str, float] = {"CPU": par.cpus}
    if par.use_gpu:
        per_worker["GPU"] = 1
    if par.memory:
        per_worker["memory"] = par.memory
    storage = storage_path(ctx._store, payload.key)
    ctx.log(f"training on {par.workers} workers ({'GPU' if par.use_gpu else 'CPU'}), "
            f"sharding {par.sharding}, Ray Train storage {storage}")
    trainer = TorchTrainer(
        _worker_main,
        train_loop_config={"payload": payload, "batch_scale": ctx.batch_scale, "storage": storage},
        torch_config=TorchConfig(backend="nccl" if par.use_gpu else "gloo"),
        scaling_config=ScalingConfig(num_workers=par.workers, use_gpu=par.use_gpu,
                                     resources_per_worker=per_worker, placement_strategy="PACK"),
        run_config=RunConfig(name=RUN_NAME, storage_path=storage,
                             failure_config=FailureConfig(max_failures=RESTARTS),
                             worker_runtime_env={"env_vars": _worker_env()}))
    try:
        trainer.fit()
    except Exception as exc:  # noqa: BLE001 - re-raised with what the batch back-off needs
        text = str(exc)
        if "out of memory" in text.lower() or "OutOfMemoryError" in text:
            raise MemoryError(f"a training worker ran out of memory: {text[-2000:]}") from exc
        raise
    Journal(storage).collect(ctx)


def _worker_env() -> dict[str, str]:
    from .cluster import FORWARDED_ENV
    return {k: os.environ[k] for k in (*FORWARDED_ENV, *WORKER_ENV) if k in os.environ}


def _worker_main(config: dict[str, Any]) -> None:
    """One Ray Train worker: the op's run with a context of its own."""
    import ray.train
    import torch

    from specc.ops import OPS
    from specc.ops.train._parallel import DataParallel

    from .context import TaskContext
    from .store import ArtifactStore

    payload = config["payload"]
    par = payload.parallel
    c = ray.train.get_context()
    rank, world, local = c.get_world_rank(), c.get_world_size(), c.get_local_world_size()
    if par.gpus_per_node and local != par.gpus_per_node:
        raise RuntimeError(f"stage {payload.stage}: Ray placed {local} workers on this node, the spec "
                           f"asks for gpus_per_node: {par.gpus_per_node}: give the cluster nodes with "
                           f"{par.gpus_per_node} free GPUs")
    device = "cpu"
    if par.use_gpu:
        import ray.train.torch
        torch.cuda.set_device(ray.train.torch.get_device())  # "cuda" is this worker's GPU
        device = "cuda"
    scratch = Path(tempfile.mkdtemp(prefix=f"specc-rank{rank}-"))
    try:
        resume, out = scratch / "resume", scratch / "out"
        resume.mkdir()
        out.mkdir()
        journal = Journal(config["storage"], rank)
        journal.restore(resume)
        dist = DataParallel(rank, world, local, par.sharding, device, journal.persist, stage=payload.stage)
        store = ArtifactStore(payload.store, create=False)
        ctx = TaskContext(replace(payload, device=device), store, out, lambda _identity, load: load(),
                          batch_scale=config["batch_scale"], parallel=dist, resume_dir=resume)
        op = OPS.get(payload.op)
        op.execute(op.params.model_validate(payload.params), ctx)
        ctx.finish_metrics(out if rank == 0 else None)  # rank 0's TensorBoard events go with the model
        journal.finish(out, ctx)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class Journal:
    """A resume folder kept as a sequence of Ray Train checkpoints (see the module doc)."""

    def __init__(self, storage: str, rank: int = 0):
        import pyarrow.fs
        self.fs, root = pyarrow.fs.FileSystem.from_uri(storage)
        self.run_dir = f"{root.rstrip('/')}/{RUN_NAME}"
        self.rank = rank
        self.seq = 0
        self.seen: dict[str, tuple[int, int]] = {}   # file -> (size, mtime) at the last persist

    def entries(self) -> list[tuple[int, str, str]]:
        """(seq, kind, path) of every checkpoint so far, in order."""
        import pyarrow.fs
        try:
            infos = self.fs.get_file_info(pyarrow.fs.FileSelector(self.run_dir))
        except FileNotFoundError:
            return []
        found = []
        for info in infos:
            m = ENTRY.match(info.base_name)
            if m and info.type == pyarrow.fs.FileType.Directory:
                found.append((int(m.group(1)), m.group(2), info.path))
        return sorted(found)

    def restore(self, folder: Path) -> None:
        """Replay every `resume` checkpoint into `folder`: the state the last persist saw."""
        import pyarrow.fs
        entries = self.entries()
        for _seq, kind, path in entries:
            if kind == "resume":
                pyarrow.fs.copy_files(path, str(folder), source_filesystem=self.fs,
                                      destination_filesystem=pyarrow.fs.LocalFileSystem())
        self.seq = entries[-1][0] + 1 if entries else 0
        self.seen = _listing(folder)

    def persist(self, folder: Path) -> None:
        """Rank 0 reports the files changed since the last persist; every worker must call it
        (a Ray Train report is a barrier)."""
        self._report(folder, "resume", changed_only=True)

    def finish(self, out: Path, ctx) -> None:
        """Rank 0 reports its outputs, with its facts and logs; every worker calls it."""
        if self.rank == 0:
            (out / WORKER_FILE).write_text(json.dumps({"facts": ctx.facts, "logs": ctx.logs}, default=str))
        self._report(out, "out", changed_only=False)

    def _report(self, folder: Path, kind: str, changed_only: bool) -> None:
        import ray.train
        name = f"{self.seq:06d}-{kind}"
        self.seq += 1
        if self.rank != 0:
            ray.train.report({"seq": self.seq}, checkpoint=None, checkpoint_dir_name=name)
            return
        now = _listing(folder)
        files = [f for f, stat in now.items() if not changed_only or self.seen.get(f) != stat]
        staging = Path(tempfile.mkdtemp(prefix="specc-persist-"))
        try:
            for rel in files:  # hard links: no copy before Ray uploads them
                (staging / rel).parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(folder / rel, staging / rel)
            ray.train.report({"seq": self.seq}, checkpoint=ray.train.Checkpoint.from_directory(str(staging)),
                             checkpoint_dir_name=name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.seen = now

    def collect(self, ctx) -> None:
        """Copy the last `out` checkpoint into ctx.out; its facts and logs into ctx."""
        import pyarrow.fs
        outs = [path for _seq, kind, path in self.entries() if kind == "out"]
        if not outs:
            raise RuntimeError(f"the training workers finished without outputs under {self.run_dir}")
        pyarrow.fs.copy_files(outs[-1], str(ctx.out), source_filesystem=self.fs,
                              destination_filesystem=pyarrow.fs.LocalFileSystem())
        worker = json.loads((ctx.out / WORKER_FILE).read_text())
        (ctx.out / WORKER_FILE).unlink()
        ctx.facts.update(worker["facts"])
        ctx.logs.extend(f"[rank 0] {line}" for line in worker["logs"])


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            st = path.stat()
            out[str(path.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return out


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
