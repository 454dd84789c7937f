"""Ray: start an embedded local cluster or join one, and check a plan fits it.

Embedded (the default): Ray gets the machine's CPUs and GPUs, no dashboard, and
its logs stay in its session folder (`/tmp/ray/session_latest/logs`), out of the
user's terminal; specc shuts it down at the end. `--address auto` or
`ray://host:port` joins a running cluster, which outlives the run.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

# Forwarded to workers of a cluster specc joins (an embedded Ray inherits them anyway):
# plugin ops and where to import them from, the image digest, data roots, offline flags.
FORWARDED_ENV = ("SPECC_PLUGINS", "PYTHONPATH", "SPECC_IMAGE_DIGEST", "SPECC_DATA_ROOTS", "SPECC_CONFIG",
                 "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")


@dataclass(frozen=True)
class Shape:
    """The resources one task (and the actor that runs it) takes."""

    gpus: float
    cpus: float
    memory: int | None

    def ray_options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"num_gpus": self.gpus, "num_cpus": self.cpus}
        if self.memory:
            opts["memory"] = self.memory
        return opts

    def describe(self) -> str:
        mem = f", {self.memory / 2**30:.3g} GiB" if self.memory else ""
        return f"{self.gpus:g} GPU, {self.cpus:g} CPU{mem}"


class Infeasible(Exception):
    """The plan asks for resources no node of the cluster has: nothing is started."""


def stage_shapes(plan, allow_cpu: bool) -> tuple[dict[str, Shape], list[str]]:
    """Each stage's shape; with `allow_cpu`, GPU stages become CPU stages (with a warning)."""
    shapes, warnings = {}, []
    for name, st in plan.stages.items():
        gpus = st.gpus
        if allow_cpu and gpus > 0:
            warnings.append(f"stage {name}: asks for {gpus:g} GPU per task; running on CPU (--allow-cpu)")
            gpus = 0.0
        shapes[name] = Shape(gpus, st.cpus, st.memory)
    return shapes, warnings


def check_feasible(shapes: dict[str, Shape], nodes: list[dict[str, float]]) -> None:
    """Every stage must fit on at least one node, else no task of it could ever start."""
    problems = []
    for stage, shape in shapes.items():
        if any(_fits(shape, node) for node in nodes):
            continue
        have = "; ".join(f"node {i}: {n.get('GPU', 0):g} GPU, {n.get('CPU', 0):g} CPU, "
                         f"{n.get('memory', 0) / 2**30:.3g} GiB" for i, n in enumerate(nodes)) or "no nodes"
        problems.append(f"stage {stage} needs {shape.describe()} per task, which no node has ({have})")
    if problems:
        gpu = any(s.gpus > 0 for s in shapes.values())
        hint = ("run on a machine or cluster with GPUs, or pass --allow-cpu to run GPU stages on CPU"
                if gpu else "lower stages.<name>.resources, or use a bigger machine")
        raise Infeasible("\n".join(problems) + f"\nhint: {hint}")


def _fits(shape: Shape, node: dict[str, float]) -> bool:
    return (shape.gpus <= node.get("GPU", 0) + 1e-9 and shape.cpus <= node.get("CPU", 0) + 1e-9
            and (not shape.memory or shape.memory <= node.get("memory", 0)))


class RayCluster:
    """The Ray a run uses: `start()` it, read its nodes, `stop()` it (embedded only)."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None):
        self.address = address
        self.num_cpus = num_cpus
        self.embedded = address is None
        self.owned = False   # True when this object started Ray (and so stops it)

    def start(self) -> None:
        import ray
        if ray.is_initialized():  # a notebook or test already connected: use that Ray
            return
        # Ray's own log lines go to its session folder, not the user's terminal.
        logging.getLogger("ray").setLevel(logging.ERROR)
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        self.owned = self.embedded
        if self.embedded:
            ray.init(address="local", num_cpus=self.num_cpus, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR, configure_logging=True)
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
