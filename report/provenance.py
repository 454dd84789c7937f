"""Provenance of a run: what a reader needs to reproduce or to trust it.

The spec and lock hashes say what was asked and what was pre-registered; the git
commit (and whether the tree had uncommitted changes) and the container image
say what code ran; package versions, seeds and hardware say the rest.
"""
from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from specc.compiler.data_reads import data_reading
from specc.compiler.datafiles import repository_root
from specc.compiler.fingerprint import IMAGE_DIGEST_ENV

PACKAGES = ("specc", "torch", "transformers", "trl", "ray", "datasets", "pandas", "numpy", "scipy",
            "statsmodels")


def provenance(plan, lock: dict[str, Any] | None) -> dict[str, Any]:
    commit, dirty = git_state(repository_root(Path(plan.path).parent))
    image = getattr(plan, "image", None)   # a container run: the image its tasks ran in
    return {"spec_hash": plan.spec_hash,
            "lock_hash": (lock or {}).get("hash"),
            "git_commit": commit, "git_dirty": dirty,
            "image_digest": image.digest if image is not None else os.environ.get(IMAGE_DIGEST_ENV) or None,
            "image": image.to_dict() if image is not None else None,
            "packages": package_versions(),
            "python": platform.python_version(),
            "seeds": seeds(plan),
            "data": data_reading(plan),
            "hardware": hardware()}


def git_state(root: Path) -> tuple[str | None, bool | None]:
    """(HEAD commit, uncommitted changes?) of the repository at `root`; (None, None) when it is
    not a git repository or git is missing."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                                  timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    head = git("rev-parse", "HEAD")
    if head is None:
        return None, None
    status = git("status", "--porcelain", "--untracked-files=no")
    return head.strip(), None if status is None else bool(status.strip())


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def seeds(plan) -> dict[str, Any]:
    """The spec's seed (tasks without a `seed` axis) and the values of the `seed` axis run."""
    values = {v for t in plan.tasks for a, v in t.condition if a == "seed"}
    axis = sorted(values, key=lambda v: (isinstance(v, str), v))  # numbers in numeric order
    return {"spec": plan.spec.seed, "axis": axis}


def hardware() -> dict[str, Any]:
    """The driver's machine; each task's device is in its artifact's manifest."""
    info: dict[str, Any] = {"platform": platform.platform(), "machine": platform.machine(),
                            "cpus": os.cpu_count(), "ram_gib": _ram_gib(), "gpus": _gpus()}
    return info


def _ram_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _gpus() -> list[str]:
    """GPU names without importing torch (a cached re-run needs neither torch nor CUDA):
    torch's view when it is already loaded, else the driver's (`nvidia-smi`)."""
    import sys
    torch = sys.modules.get("torch")
    try:
        if torch is not None:
            if not torch.cuda.is_available():
                return []
            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        import shutil
        import subprocess
        smi = shutil.which("nvidia-smi")
        if smi is None:
            return []
        out = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=10)
        return [line.strip() for line in out.stdout.splitlines() if line.strip()] if out.returncode == 0 else []
    except Exception:  # noqa: BLE001 - a broken CUDA install must not cost the report
        return []
