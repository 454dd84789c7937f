"""Facts about the image a process runs in: its OS, specc's source digest, the build stamp.

The stamp (/etc/specc/image.json) is written by the image's last build step,
`python -m specc.runtime.image_probe --stamp`; that module also prints the report
`specc image build` records in image.lock.
"""
from __future__ import annotations

import hashlib
from importlib.util import find_spec
from pathlib import Path

STAMP = Path("/etc/specc/image.json")
# specc's top-level packages (pyproject.toml), whose code a task runs; subpackages are in their folders.
PACKAGES = ("specc", "specc.compiler", "specc.runtime", "specc.ops", "specc.templates", "specc.verdicts",
            "specc.report", "specc.design", "specc.measures", "specc.prereg", "specc.containers")


def os_name(root: str = "/") -> str | None:
    """PRETTY_NAME of os-release: `Debian GNU/Linux 12 (bookworm)`."""
    for path in ("etc/os-release", "usr/lib/os-release"):
        try:
            text = Path(root, path).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return None


def source_digest() -> str:
    """sha256 over specc's code and templates as installed (the same in a checkout and in the
    wheel built from it): tells whether an image runs this checkout's code."""
    h = hashlib.sha256()
    for package in PACKAGES:
        spec = find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            base = Path(folder)
            files = (p for p in base.rglob("*") if p.suffix in (".py", ".j2") and "__pycache__" not in p.parts)
            for path in sorted(files):
                h.update(f"{package}/{path.relative_to(base).as_posix()}\0".encode())
                h.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + h.hexdigest()
