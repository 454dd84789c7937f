"""The engine's command lines: runtime, ulimits, GPUs, each overridable."""
from __future__ import annotations

import shutil

import pytest

from specc.containers.engine import Engine
from specc.containers.variants import ImageError


@pytest.fixture
def tools(monkeypatch):
    """Pretend podman, docker and runc are installed."""
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}" if name in ("podman", "docker", "runc") else None)
    for var in ("SPECC_CONTAINER_ENGINE", "SPECC_PODMAN_RUNTIME", "SPECC_CONTAINER_ULIMITS"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_podman_defaults_fit_this_kind_of_machine(tools):
    e = Engine.find()
    assert e.name == "podman"
    assert e.command("run", "x") == ["/usr/bin/podman", "--runtime", "runc", "run", "x"]
    assert e.limit_args() == ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]


def test_settings_from_the_environment(tools):
    tools.setenv("SPECC_PODMAN_RUNTIME", "")
    tools.setenv("SPECC_CONTAINER_ULIMITS", "nofile=4096:4096")
    e = Engine.find("podman")
    assert e.command("info") == ["/usr/bin/podman", "info"]
    assert e.limit_args() == ["--ulimit", "nofile=4096:4096"]
    tools.setenv("SPECC_CONTAINER_ENGINE", "docker")
    assert Engine.find().command("info") == ["/usr/bin/docker", "info"]   # docker has no global --runtime


def test_gpus_cdi_with_podman_and_gpus_flag_with_docker(tools):
    assert Engine.find("podman").gpu_args(["1", "3"]) == ["--device", "nvidia.com/gpu=1", "--device", "nvidia.com/gpu=3"]
    assert Engine.find("podman").gpu_args(None) == ["--device", "nvidia.com/gpu=all"]
    assert Engine.find("docker").gpu_args(["1", "3"]) == ["--gpus", '"device=1,3"']
    assert Engine.find("docker").gpu_args(None) == ["--gpus", "all"]


def test_missing_or_unknown_engine_says_what_to_do(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("SPECC_CONTAINER_ENGINE", raising=False)
    with pytest.raises(ImageError, match="apt-get install -y podman runc"):
        Engine.find()
    with pytest.raises(ImageError, match="use podman or docker"):
        Engine.find("lxc")
