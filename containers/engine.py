"""podman or docker, with the settings a task's container needs on this kind of machine.

Settings (all documented in containers/README.md), each overridable by environment:

* `SPECC_CONTAINER_ENGINE`: `podman` (default when installed) or `docker`.
* `SPECC_PODMAN_RUNTIME`: podman's OCI runtime, `runc` by default when installed (Debian's
  podman runs with runc; crun is not installed there). Empty: podman's own default.
* `SPECC_CONTAINER_ULIMITS`: `nofile=1024:1024,nproc=4096:4096` by default. podman asks
  the kernel for its own default limits (nofile 1048576), above this machine's hard limits,
  and runc then fails with "error setting rlimits"; these fit within them. Empty: none.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass

from .variants import ImageError

ENGINES = ("podman", "docker")
DEFAULT_ULIMITS = "nofile=1024:1024,nproc=4096:4096"


def _env(name: str, default: str | None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


@dataclass(frozen=True)
class Engine:
    name: str                    # podman | docker
    exe: str                     # its path
    runtime: str | None          # podman's --runtime
    ulimits: tuple[str, ...]     # --ulimit values for build and run

    @classmethod
    def find(cls, name: str | None = None) -> "Engine":
        """The engine asked for (or SPECC_CONTAINER_ENGINE, else podman, else docker)."""
        name = name or os.environ.get("SPECC_CONTAINER_ENGINE") or None
        if name is not None and name not in ENGINES:
            raise ImageError(f"unknown container engine {name!r}; use podman or docker")
        for candidate in ([name] if name else ENGINES):
            exe = shutil.which(candidate)
            if exe:
                runtime = None
                if candidate == "podman":
                    runtime = _env("SPECC_PODMAN_RUNTIME", "runc" if shutil.which("runc") else "") or None
                limits = _env("SPECC_CONTAINER_ULIMITS", DEFAULT_ULIMITS) or ""
                return cls(candidate, exe, runtime, tuple(x.strip() for x in limits.split(",") if x.strip()))
        wanted = name or "podman or docker"
        raise ImageError(f"{wanted} is not installed; on Debian: apt-get install -y podman runc "
                         "(see containers/README.md)")

    # -- command lines -------------------------------------------------------------------

    def command(self, *args: str) -> list[str]:
        """`podman --runtime runc ARGS` / `docker ARGS`."""
        head = [self.exe]
        if self.runtime:
            head += ["--runtime", self.runtime]
        return head + list(args)

    def limit_args(self) -> list[str]:
        return [a for u in self.ulimits for a in ("--ulimit", u)]

    def gpu_args(self, devices: list[str] | None) -> list[str]:
        """GPUs for a task: CDI names with podman (`nvidia-ctk cdi generate` makes them), the
        NVIDIA runtime's `--gpus` with docker. `devices`: host GPU indices, None for all."""
        if self.name == "podman":
            return [a for d in (devices or ["all"]) for a in ("--device", f"nvidia.com/gpu={d}")]
        return ["--gpus", "all" if not devices else f'"device={",".join(devices)}"']

    def describe(self) -> str:
        extra = [f"runtime {self.runtime}"] if self.runtime else []
        extra += [f"ulimit {u}" for u in self.ulimits]
        return self.name + (f" ({', '.join(extra)})" if extra else "")

    # -- calls ---------------------------------------------------------------------------

    def call(self, *args: str, check: bool = True, timeout: float | None = 600,
             input: bytes | None = None) -> subprocess.CompletedProcess:
        try:
            done = subprocess.run(self.command(*args), capture_output=True, timeout=timeout, input=input,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise ImageError(f"`{self.name} {' '.join(args[:2])}` did not finish in {timeout:.0f}s") from exc
        if check and done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip()[-2000:]
            raise ImageError(f"`{self.name} {' '.join(args[:3])}` failed (exit {done.returncode}): {tail}")
        return done

    def image_id(self, ref: str) -> str | None:
        """The image ID (`sha256:` + the digest of its config) of `ref`, None when absent."""
        done = self.call("image", "inspect", "--format", "{{.Id}}", ref, check=False, timeout=120)
        if done.returncode != 0:
            return None
        value = done.stdout.decode().strip().splitlines()[0].strip()
        return value if value.startswith("sha256:") else f"sha256:{value}"

    def labels(self, ref: str) -> dict[str, str]:
        done = self.call("image", "inspect", "--format", "{{json .Config.Labels}}", ref, timeout=120)
        return json.loads(done.stdout.decode() or "null") or {}

    def version(self) -> str:
        done = self.call("--version", check=False, timeout=60)
        return done.stdout.decode().strip() or self.name
