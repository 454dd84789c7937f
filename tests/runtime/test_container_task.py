"""A container task's command line: mounts, GPUs, the digest; and the worker's hand-off."""
from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

from runtime_helpers import fan_in

from specc.compiler import compile_spec
from specc.containers.engine import Engine
from specc.runtime.container import ContainerTask, mounts, run_args
from specc.runtime.payload import DataEntry, PayloadBuilder
from specc.runtime.worker import ModelCache, execute

DIGEST = "sha256:" + "d" * 64
PODMAN = Engine("podman", "/usr/bin/podman", "runc", ("nofile=1024:1024",))


def _payload(project, store):
    plan = compile_spec(project.write(fan_in()))
    builder = PayloadBuilder(plan, str(store), cpu_only=True)
    total = next(t for t in plan.tasks if t.stage == "total")
    return replace(builder.build(total), container=ContainerTask(DIGEST, "podman", "cpu"))


def test_store_read_write_upstream_and_data_read_only(project, tmp_path):
    store = project.root / "store"
    payload = _payload(project, store)
    data = tmp_path / "data" / "pairs.jsonl"
    data.parent.mkdir()
    data.write_text("{}\n")
    payload = replace(payload, data={"pairs": DataEntry(None, (data,))})
    got = {src: mode for src, dst, mode in mounts(payload) if src == dst}
    root = str(store.resolve())
    assert got[root] == "rw"
    upstream = [a.key for arts in payload.inputs.values() for a in arts]
    assert len(upstream) == 2
    for key in upstream:
        assert got[f"{root}/{key[:2]}/{key}"] == "ro"
    assert got[str(data.parent)] == "ro" and got[payload.spec_dir] == "ro"
    order = [src for src, _, _ in mounts(payload)]
    assert order.index(root) < min(order.index(f"{root}/{k[:2]}/{k}") for k in upstream)  # ro over rw


def test_run_args_name_the_digest_limits_and_gpus(project, monkeypatch):
    payload = _payload(project, project.root / "store")
    args = run_args(PODMAN, payload, payload.container, "/tmp/x")
    assert args[:3] == ["run", "--rm", "--network"] and "--pull=never" in args
    assert ["--ulimit", "nofile=1024:1024"] == args[args.index("--ulimit"):args.index("--ulimit") + 2]
    assert f"SPECC_IMAGE_DIGEST={DIGEST}" in args and "/tmp/x:/specc-task:rw" in args
    assert args[-5:] == [DIGEST, "python", "-m", "specc.runtime.container_entry", "/specc-task"]
    assert not any(a.startswith("nvidia.com/gpu") for a in args)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2")   # the GPU Ray gave this worker
    gpu = run_args(PODMAN, replace(payload, device="cuda"), payload.container, "/tmp/x")
    assert "nvidia.com/gpu=2" in gpu


def test_plugin_folders_are_mounted_but_never_a_checkout_of_specc(project, tmp_path, monkeypatch):
    checkout = tmp_path / "checkout"
    (checkout / "specc").mkdir(parents=True)
    (checkout / "specc" / "__init__.py").write_text("")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    monkeypatch.setenv("PYTHONPATH", f"{plugins}:{checkout}")
    payload = _payload(project, project.root / "store")
    sources = {src for src, _, _ in mounts(payload)}
    assert str(plugins) in sources and str(checkout) not in sources
    assert f"PYTHONPATH={plugins}" in run_args(PODMAN, payload, payload.container, "/tmp/x")


def test_worker_hands_container_tasks_to_the_engine_and_reads_the_result(project, monkeypatch):
    payload = _payload(project, project.root / "store")
    monkeypatch.setattr("specc.containers.resolve.inside_image", lambda: None)
    monkeypatch.setattr(Engine, "find", classmethod(lambda cls, name=None: PODMAN))
    seen = {}

    def fake_run(cmd, **kwargs):
        seen["cmd"] = cmd
        exchange = Path(next(a.split(":")[0] for a in cmd if a.endswith(":/specc-task:rw")))
        (exchange / "result.json").write_text(json.dumps({"task_id": payload.task_id, "status": "succeeded",
                                                          "loads": [["m", 0.5]], "worker": "inside:1"}))
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    result = execute(payload, ModelCache(), {})
    assert result["status"] == "succeeded" and result["loads"] == [("m", 0.5)]
    assert result["worker"].endswith("(container)")
    assert seen["cmd"][:3] == ["/usr/bin/podman", "--runtime", "runc"]


def test_a_container_that_dies_without_a_result_fails_the_task(project, monkeypatch):
    payload = _payload(project, project.root / "store")
    monkeypatch.setattr("specc.containers.resolve.inside_image", lambda: None)
    monkeypatch.setattr(Engine, "find", classmethod(lambda cls, name=None: PODMAN))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 125, "", "no such image"))
    result = execute(payload, ModelCache(), {})
    assert result["status"] == "failed" and "exited 125 without a result: no such image" in result["error"]


def test_multi_worker_training_is_refused_in_a_per_task_container(project, monkeypatch):
    from specc.runtime.payload import Parallelism
    payload = replace(_payload(project, project.root / "store"), parallel=Parallelism(2, False, 1, None, None, "auto"))
    monkeypatch.setattr("specc.containers.resolve.inside_image", lambda: None)
    result = execute(payload, ModelCache(), {})
    assert result["status"] == "failed" and "Ray nodes started from the image" in result["error"]
