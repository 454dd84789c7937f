"""Ray: start an embedded local cluster or join one, and check a plan fits it.

Embedded (the default): Ray gets the machine's CPUs and GPUs, no dashboard, and
its logs stay in its session folder (`/tmp/ray/session_latest/logs`), out of the
user's terminal; specc shuts it down at the end. `--address auto` or
`ray://host:port` joins a running cluster, which outlives the run.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

# Forwarded to workers of a cluster specc joins (an embedded Ray inherits them anyway):
# plugin ops and where to import them from, data roots, CI's configuration, offline flags.
# Never the image digest: each node reports its own (the one its container was started
# with), and a container run checks them against the lock at start (runtime/image_check.py).
FORWARDED_ENV = ("SPECC_PLUGINS", "PYTHONPATH", "SPECC_DATA_ROOTS", "SPECC_CONFIG",
                 "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")


@dataclass(frozen=True)
class Shape:
    """The resources one task takes: one process (the actor that runs it), or `workers`
    data-parallel processes of `gpus` / `cpus` / `memory` each (a Ray Train worker group)."""

    gpus: float
    cpus: float
    memory: int | None
    workers: int = 1
    gpus_per_node: int | None = None
    sharding: str = "auto"

    @property
    def total(self) -> dict[str, float]:
        """What the task holds while it runs, all workers together."""
        return {"GPU": self.gpus * self.workers, "CPU": self.cpus * self.workers,
                "memory": (self.memory or 0) * self.workers}

    def ray_options(self) -> dict[str, Any]:
        if self.workers > 1:
            # The actor only drives Ray Train; its workers reserve the devices (a placement
            # group), which an actor holding them too would starve.
            return {"num_gpus": 0, "num_cpus": 0}
        opts: dict[str, Any] = {"num_gpus": self.gpus, "num_cpus": self.cpus}
        if self.memory:
            opts["memory"] = self.memory
        return opts

    def describe(self) -> str:
        mem = f", {self.memory / 2**30:.3g} GiB" if self.memory else ""
        one = f"{self.gpus:g} GPU, {self.cpus:g} CPU{mem}"
        if self.workers == 1:
            return one
        nodes = f", {self.gpus_per_node} per node" if self.gpus_per_node else ""
        return f"{self.workers} workers of {one}{nodes}"


class Infeasible(Exception):
    """The plan asks for resources no node of the cluster has: nothing is started."""


def stage_shapes(plan, allow_cpu: bool) -> tuple[dict[str, Shape], list[str]]:
    """Each stage's shape; with `allow_cpu`, GPU stages become CPU stages (with a warning)."""
    shapes, warnings = {}, []
    for name, st in plan.stages.items():
        gpus, workers = st.gpus, st.workers
        if allow_cpu and gpus > 0:
            # One CPU process: the global batch and data order do not depend on the world size.
            warnings.append(f"stage {name}: asks for {gpus:g} GPU per task; running on CPU"
                            f"{' in one process' if workers > 1 else ''} (--allow-cpu)")
            gpus, workers = 0.0, 1
        per_worker_gpus = 1.0 if workers > 1 and gpus > 0 else gpus
        shapes[name] = Shape(per_worker_gpus, st.cpus, st.memory, workers,
                             st.gpus_per_node if workers > 1 else None, st.sharding)
    return shapes, warnings


def check_feasible(shapes: dict[str, Shape], nodes: list[dict[str, float]]) -> None:
    """Every stage must fit on at least one node, else no task of it could ever start."""
    problems = []
    for stage, shape in shapes.items():
        if shape.workers > 1:
            if _group_fits(shape, nodes):
                continue
            where = (f"{shape.workers // shape.gpus_per_node} nodes with room for {shape.gpus_per_node} workers each"
                     if shape.gpus_per_node else "room for that many workers on all nodes together")
            problems.append(f"stage {stage} needs {shape.describe()} per task: the cluster does not have "
                            f"{where} ({_have(nodes)})")
        elif not any(_fits(shape, node) for node in nodes):
            problems.append(f"stage {stage} needs {shape.describe()} per task, which no node has ({_have(nodes)})")
    if problems:
        gpu = any(s.gpus > 0 for s in shapes.values())
        hint = ("run on a machine or cluster with GPUs, or pass --allow-cpu to run GPU stages on CPU"
                if gpu else "lower stages.<name>.resources, or use a bigger machine")
        raise Infeasible("\n".join(problems) + f"\nhint: {hint}")


def _have(nodes: list[dict[str, float]]) -> str:
    return "; ".join(f"node {i}: {n.get('GPU', 0):g} GPU, {n.get('CPU', 0):g} CPU, "
                     f"{n.get('memory', 0) / 2**30:.3g} GiB" for i, n in enumerate(nodes)) or "no nodes"


def _group_fits(shape: Shape, nodes: list[dict[str, float]]) -> bool:
    """Can the worker group be placed: `workers` workers in all, and with gpus_per_node,
    that many on each of workers / gpus_per_node nodes?"""
    need = {"GPU": shape.gpus, "CPU": shape.cpus, "memory": shape.memory or 0}
    room = [int(min((node.get(k, 0) + 1e-9) // v for k, v in need.items() if v > 0)) for node in nodes]
    if shape.gpus_per_node:
        return sum(r >= shape.gpus_per_node for r in room) >= shape.workers // shape.gpus_per_node
    return sum(room) >= shape.workers


def _fits(shape: Shape, node: dict[str, float]) -> bool:
    return (shape.gpus <= node.get("GPU", 0) + 1e-9 and shape.cpus <= node.get("CPU", 0) + 1e-9
            and (not shape.memory or shape.memory <= node.get("memory", 0)))


@contextlib.contextmanager
def _working_directory(folder: str):
    """Start Ray from an empty private folder. Ray puts the driver's working directory first
    on every worker's `sys.path` (and an embedded Ray's workers start in it): from a checkout
    of specc, its `specc/` folder (without the subpackages that `package-dir` maps in) would
    shadow the installed package and every worker would die importing `specc.runtime`.
    An empty folder also means no relative name (`hub: gpt2`) ever finds a local folder."""
    here = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(here)


@contextlib.contextmanager
def _keep_sigterm_handler():
    """`ray.init` replaces the SIGTERM handler with its own, which prints pages of C++ stack
    (`logging.cc`) and aborts: the driver's handler (SIGTERM stops a run like Ctrl-C,
    closing the ledger's rows and shutting Ray down) is put back afterwards."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class RayCluster:
    """The Ray a run uses: `start()` it, read its nodes, `stop()` it (embedded only)."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None):
        self.address = address
        self.num_cpus = num_cpus
        self.embedded = address is None
        self.owned = False   # True when this object started Ray (and so stops it)
        self.workdir: str | None = None   # the empty folder Ray was started from

    def start(self) -> None:
        import ray
        if ray.is_initialized():  # a notebook or test already connected: use that Ray
            return
        # Ray's own log lines go to its session folder, not the user's terminal.
        logging.getLogger("ray").setLevel(logging.ERROR)
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        self.owned = self.embedded
        self.workdir = tempfile.mkdtemp(prefix="specc-workers-")
        with _keep_sigterm_handler(), _working_directory(self.workdir):
            if self.embedded:
                ray.init(address="local", num_cpus=self.num_cpus, include_dashboard=False,
                         log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
                return
            env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
            ray.init(address=self.address, log_to_driver=False, logging_level=logging.ERROR,
                     runtime_env={"env_vars": env} if env else None)

    def nodes(self) -> list[dict[str, float]]:
        import ray
        return [n["Resources"] for n in ray.nodes() if n.get("Alive")]

    def total(self) -> dict[str, float]:
        import ray
        return dict(ray.cluster_resources())

    def stop(self) -> None:
        import ray
        if self.owned and ray.is_initialized():
            ray.shutdown()
        if self.workdir:  # (a joined cluster's workers only had it on their sys.path)
            shutil.rmtree(self.workdir, ignore_errors=True)
