"""Running one task inside the pinned image: what a worker does for a container run.

`execute(payload)` in worker.py hands a payload with `container` set to
`execute_in_container`. On a node that itself runs inside that image (a Ray node
started from it) the task runs right there. Otherwise the worker starts one
container per task with the engine, by digest, and waits for it:

    podman --runtime runc run --rm --pull=never --network host --ulimit ... \
        -v <store>:<store>                  the store, read-write (the task commits into it)
        -v <store>/<ab>/<key>:...:ro        each upstream artifact, read-only
        -v <data folder>:...:ro             each data file's folder, read-only
        -v <exchange>:/specc-task           the payload in, the result out
        --device nvidia.com/gpu=<i>         GPU tasks: the GPUs Ray gave this worker (docker: --gpus)
        -e SPECC_IMAGE_DIGEST=<digest>      so the task's manifest records the image it ran in
        <digest> python -m specc.runtime.container_entry /specc-task

Paths are mounted at the same place inside, so keys, manifests and artifact paths
read the same in and out of the container. The task process inside is the same
`execute` as on the host: same manifest, same atomic commit.
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

EXCHANGE = "/specc-task"
# Passed into the task's container when set here (plugins, data roots, offline switches).
PASSED_ENV = ("SPECC_PLUGINS", "SPECC_DATA_ROOTS", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE",
              "SPECC_DEBUG")


@dataclass(frozen=True)
class ContainerTask:
    """What a worker needs to start a task's container (plain data: travels in the payload)."""
    digest: str
    engine: str | None          # None: the run's driver is inside the image; so must the workers be
    variant: str


def container_task(image) -> ContainerTask | None:
    """From the plan's RunImage (or None)."""
    return None if image is None else ContainerTask(image.digest, image.engine, image.variant)


def execute_in_container(payload, cache, stores) -> dict[str, Any]:
    from specc.containers.resolve import inside_image
    from .worker import execute, worker_name
    spec = payload.container
    inner = replace(payload, container=None)
    if inside_image() is not None:   # this node runs in an image (the start-time check compared digests)
        return execute(inner, cache, stores)
    started = time.time()
    base = {"task_id": payload.task_id, "attempt": payload.attempt, "worker": f"{worker_name()} (container)",
            "device": payload.device, "started": started, "backoffs": 0, "loads": []}
    try:
        if getattr(payload, "parallel", None) is not None:   # Ray Train needs the cluster, not one container
            raise RuntimeError("a task trained on several workers runs only on Ray nodes started from the "
                               "image (containers/README.md, 'On a Ray cluster'), not in a container per task")
        from specc.containers.engine import Engine
        engine = Engine.find(spec.engine)
        with tempfile.TemporaryDirectory(prefix="specc-task-") as exchange:
            with open(Path(exchange, "payload.pkl"), "wb") as f:
                pickle.dump(inner, f)
            cmd = engine.command(*run_args(engine, payload, spec, exchange))
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            result_file = Path(exchange, "result.json")
            if not result_file.exists():
                tail = (done.stderr or done.stdout or "").strip()[-3000:]
                raise RuntimeError(f"the task's container exited {done.returncode} without a result: {tail}")
            result = json.loads(result_file.read_text())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - reported to the driver like an op's failure
        import traceback
        return {**base, "status": "failed", "error": f"{type(exc).__name__}: {exc}"[:2000],
                "traceback": traceback.format_exc(), "ended": time.time()}
    result["loads"] = [tuple(x) for x in result.get("loads", [])]
    result["worker"] = base["worker"]
    return result


def run_args(engine, payload, spec: ContainerTask, exchange: str) -> list[str]:
    """`run ...` for one task (without the engine's own global flags)."""
    args = ["run", "--rm", "--network", "host", *engine.limit_args()]
    args += ["--pull=never"] if engine.name == "podman" else []
    if engine.name == "docker" and hasattr(os, "getuid"):   # files in the store stay the user's
        args += ["--user", f"{os.getuid()}:{os.getgid()}", "-e", "HOME=/tmp"]
    for source, target, mode in mounts(payload):
        args += ["-v", f"{source}:{target}:{mode}"]
    args += ["-v", f"{exchange}:{EXCHANGE}:rw"]
    if payload.device == "cuda":
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        args += engine.gpu_args([d for d in visible.split(",") if d] if visible else None)
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    if plugin_folders():
        env["PYTHONPATH"] = os.pathsep.join(plugin_folders())
    env["SPECC_IMAGE_DIGEST"] = spec.digest
    env["SPECC_CONTAINER_ENGINE"] = engine.name
    for k, v in sorted(env.items()):
        args += ["-e", f"{k}={v}"]
    return args + [spec.digest, "python", "-m", "specc.runtime.container_entry", EXCHANGE]


def mounts(payload) -> list[tuple[str, str, str]]:
    """(host path, container path, mode): the store read-write; upstream artifacts, data, local
    models, the spec's folder and plugin folders read-only. Nested read-only mounts over the
    read-write store are applied after it (engines order mounts by depth)."""
    from .store import ArtifactStore
    out: dict[str, str] = {}
    store = ArtifactStore(payload.store, create=False)
    if store.local:
        out[store.root] = "rw"
        for arts in payload.inputs.values():
            for art in arts:
                out[store.path(art.key)] = "ro"
    read_only = {payload.spec_dir}
    for entry in payload.data.values():
        read_only |= {str(Path(f).parent) for f in entry.files}
    for model in payload.models.values():
        if getattr(model, "kind", None) == "local":
            read_only.add(str(Path(payload.spec_dir, model.path).resolve()))
    read_only |= set(plugin_folders())
    for folder in read_only:
        if folder not in out and Path(folder).exists() and not _under(folder, [k for k, m in out.items() if m == "rw"]):
            out[folder] = "ro"
    return [(k, k, v) for k, v in sorted(out.items(), key=lambda kv: (kv[0].count("/"), kv[0]))]


def plugin_folders() -> list[str]:
    """The PYTHONPATH folders a task's container gets (read-only, and as its PYTHONPATH): plugin
    modules; never a folder holding a checkout's `specc/`, which would shadow the image's."""
    out = []
    for folder in filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)):
        if Path(folder).is_dir() and not Path(folder, "specc", "__init__.py").exists():
            out.append(str(Path(folder).resolve()))
    return out


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
