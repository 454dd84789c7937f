"""The wheels of a requirement lock, downloaded once on the host and checked by hash.

The image installs from these files only (`pip install --no-index --require-hashes`):
nothing is fetched while the image builds. They live in `<cache>/wheelhouse/<variant>/`
(an ignored folder, see `cache_dir`), so a rebuild downloads nothing it already has:
a wheel is kept while its sha256 is the one its lock names.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .requirements import Requirement, normalise, platform_args
from .variants import ImageError, Variant

_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _matches(path: Path, req: Requirement) -> bool:
    m = _WHEEL.match(path.name)
    return bool(m) and normalise(m.group("name")) == req.name and m.group("version") == req.version


def _known_hashes(folder: Path) -> dict[str, str]:
    """file name -> sha256, remembered beside the wheels (keyed by size and mtime) so a
    rebuild does not hash half a gigabyte again."""
    index = folder / ".sha256"
    known: dict[str, str] = {}
    if index.exists():
        for line in index.read_text().splitlines():
            name, stamp, digest = line.split("\t")
            path = folder / name
            if path.exists() and stamp == _stamp(path):
                known[name] = digest
    return known


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def _save_hashes(folder: Path, known: dict[str, str]) -> None:
    lines = [f"{n}\t{_stamp(folder / n)}\t{d}" for n, d in sorted(known.items()) if (folder / n).exists()]
    (folder / ".sha256").write_text("\n".join(lines) + "\n")


def prepare(variant: Variant, reqs: list[Requirement], folder: Path, log=print) -> dict[str, Path]:
    """Make `folder` hold one verified wheel per requirement; returns requirement name -> wheel."""
    folder.mkdir(parents=True, exist_ok=True)
    known = _known_hashes(folder)

    def find(req: Requirement) -> Path | None:
        for path in sorted(folder.glob("*.whl")):
            if _matches(path, req):
                digest = known.get(path.name) or file_sha256(path)
                known[path.name] = digest
                if digest in req.hashes:
                    return path
        return None

    found = {r.name: find(r) for r in reqs}
    missing = [r for r in reqs if found[r.name] is None]
    if missing:
        log(f"wheelhouse: downloading {len(missing)} of {len(reqs)} wheels into {folder}")
        _download(variant, missing, folder)
        for r in missing:
            found[r.name] = find(r)
        still = [f"{r.name}=={r.version}" for r in missing if found[r.name] is None]
        if still:
            raise ImageError(f"no wheel with the locked hash for {', '.join(still)} (see {folder})")
    _save_hashes(folder, known)
    return {name: path for name, path in found.items() if path is not None}


def _download(variant: Variant, reqs: list[Requirement], folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="specc-wheels-") as tmp:
        subset = Path(tmp) / "requirements.txt"
        subset.write_text("".join(r.line() + "\n" for r in reqs))
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--quiet",
               "--disable-pip-version-check", "-d", str(folder), "-r", str(subset), *platform_args()]
        if variant.torch_local is None:
            cmd.insert(4, "--isolated")
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(line for line in done.stderr.splitlines() if "WARNING: Location" not in line)
        raise ImageError(f"pip could not download the {variant.name} wheels:\n{tail[-3000:]}")


def stage(wheels: dict[str, Path], target: Path) -> None:
    """Put the wheels into a build context: hard links (no copy) where the file system allows."""
    target.mkdir(parents=True, exist_ok=True)
    for path in wheels.values():
        dest = target / path.name
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)
