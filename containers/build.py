"""`specc image build`: base, wheelhouse, build, probe, pin.

    base        cpu: debootstrap + import (cached); cuda: the recipe's base, pinned by digest
    wheelhouse  every wheel of requirements-<variant>.lock, downloaded once, hash-checked
    context     <cache>/context-<variant>/: Containerfile, requirements.lock, wheelhouse/
                (hard links), dist/<specc wheel> (built reproducibly: SOURCE_DATE_EPOCH)
    build       `podman build` (cpu: --network none --pull=never: nothing is fetched)
    probe       the image reports its environment, OS and packages
    pin         containers/image.lock[variant] = digest + all of the above

An unchanged checkout and lock rebuild to the same digest: every layer comes from the
engine's cache, the specc wheel being byte-identical.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .base import ensure_base
from .engine import Engine
from .imagelock import write_image_lock
from .requirements import lock_digest, read_lock
from .variants import ImageError, Variant, recipe_base, variant as get_variant
from .wheelhouse import prepare, stage

# A fixed date for the zip entries of specc's wheel, so the same source gives the same bytes.
WHEEL_EPOCH = "315532800"   # 1980-01-01, the earliest a zip file can say


def cache_dir(folder: Path) -> Path:
    """SPECC_CONTAINER_CACHE, else .specc/containers beside the recipes (ignored by git)."""
    return Path(os.environ.get("SPECC_CONTAINER_CACHE") or folder.parent / ".specc" / "containers")


def build_image(folder: Path, variant_name: str = "cpu", engine_name: str | None = None,
                rebuild_base: bool = False, log=print, checkout: Path | None = None) -> dict[str, Any]:
    """Build a variant and pin it in image.lock; returns the record written. specc is installed
    from `checkout` (default: the repository holding `folder`)."""
    t0 = time.time()
    v = get_variant(variant_name)
    engine = Engine.find(engine_name)
    cache = cache_dir(folder)
    cache.mkdir(parents=True, exist_ok=True)
    requirements = v.requirements_path(folder)
    reqs = read_lock(requirements)
    base = _base(v, folder, engine, cache, rebuild_base, log)
    wheels = prepare(v, reqs, cache / "wheelhouse" / v.name, log)
    context = cache / f"context-{v.name}"
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    shutil.copy2(v.recipe_path(folder), context / "Containerfile")
    shutil.copy2(requirements, context / "requirements.lock")
    stage(wheels, context / "wheelhouse")
    _specc_wheel(checkout or folder.parent, context / "dist")
    args = ["build", *engine.limit_args(), "-t", v.tag, "-f", str(context / "Containerfile"),
            "--build-arg", f"BASE={base['ref']}", "--build-arg", f"BASE_DIGEST={base['digest']}",
            "--build-arg", f"SPECC_VARIANT={v.name}",
            "--build-arg", f"REQUIREMENTS_SHA256={lock_digest(requirements)}"]
    if v.base == "debootstrap":   # everything is local: prove it
        args += ["--network", "none", "--pull=never" if engine.name == "podman" else "--pull=false"]
    log(f"build: {engine.describe()} build -t {v.tag} ({len(wheels)} wheels)")
    engine.call(*args, str(context), timeout=3 * 3600)
    digest = engine.image_id(v.tag)
    if digest is None:
        raise ImageError(f"{engine.name} built {v.tag} but cannot inspect it")
    shutil.rmtree(context, ignore_errors=True)   # the wheels stay in the wheelhouse
    probed = probe_image(engine, digest)
    record = {
        "digest": digest, "tag": v.tag, "variant": v.name,
        "built": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "engine": engine.version(), "base": {k: x for k, x in base.items() if k not in ("packages", "mirror", "id")},
        "requirements": {"file": v.requirements, "sha256": lock_digest(requirements), "packages": len(reqs)},
        "os": probed.get("os"), "specc_source": (probed.get("built") or {}).get("specc_source"),
        "environment": probed["environment"], "debian_packages": probed.get("packages", []),
        "build_seconds": round(time.time() - t0, 1),
    }
    write_image_lock(folder, v.name, record)
    log(f"pinned: {v.tag} = {digest} in {folder / 'image.lock'} ({record['build_seconds']:.0f}s)")
    return record


def _base(v: Variant, folder: Path, engine: Engine, cache: Path, rebuild: bool, log) -> dict[str, Any]:
    if v.base == "debootstrap":
        record = ensure_base(engine, cache, rebuild, log)
        return {**record, "ref": record["id"], "digest": record["id"]}
    ref = recipe_base(v.recipe_path(folder))
    return {"kind": "registry", "ref": ref, "digest": ref.rsplit("@", 1)[1]}


def _specc_wheel(checkout: Path, dist: Path) -> Path:
    """specc's wheel from the checkout, byte-identical for identical source. Built from a copy of
    the packaged folders: setuptools' in-tree build/ could carry files deleted since."""
    import tomllib
    dist.mkdir(parents=True, exist_ok=True)
    source = dist.parent / "source"
    config = tomllib.loads((checkout / "pyproject.toml").read_text())
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(checkout / name, source / name)
    for folder in sorted(set(config["tool"]["setuptools"]["package-dir"].values())):
        shutil.copytree(checkout / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {**os.environ, "SOURCE_DATE_EPOCH": WHEEL_EPOCH}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                           "--disable-pip-version-check", "-w", str(dist), str(source)],
                          capture_output=True, text=True, env=env, check=False)
    shutil.rmtree(source, ignore_errors=True)
    wheels = sorted(dist.glob("specc-*.whl"))
    if done.returncode != 0 or not wheels:
        raise ImageError(f"cannot build specc's wheel from {checkout}:\n{done.stderr[-2000:]}")
    return wheels[0]


def probe_image(engine: Engine, digest: str) -> dict[str, Any]:
    """Run the probe in the image (no network, the digest given as the launcher gives it)."""
    done = engine.call("run", "--rm", "--network", "none", *engine.limit_args(), "-e",
                       f"SPECC_IMAGE_DIGEST={digest}", digest, "python", "-m", "specc.runtime.image_probe",
                       timeout=600)
    lines = done.stdout.decode().strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise ImageError(f"the image's probe printed no report: {done.stderr.decode()[-1000:]}") from exc
