"""What an image reports about itself: run inside it (`python -m specc.containers.probe`).

`--stamp FILE` (the last build step) writes the build's facts to /etc/specc/image.json:
its variant, base, requirement lock, OS and specc's source digest. Without it, the
probe prints that and the environment that enters cache keys, as JSON: what
`specc image build` records in image.lock and a run compares.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

STAMP = Path("/etc/specc/image.json")
# specc's top-level packages (pyproject.toml), whose code a task runs; subpackages are in their folders.
PACKAGES = ("specc", "specc.compiler", "specc.runtime", "specc.ops", "specc.templates", "specc.verdicts",
            "specc.report", "specc.design", "specc.containers")


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


def stamp() -> dict[str, Any]:
    """The facts fixed when the image was built (build args arrive as environment)."""
    return {"variant": os.environ.get("SPECC_VARIANT"), "base": os.environ.get("BASE_DIGEST"),
            "requirements": os.environ.get("REQUIREMENTS_SHA256"), "os": os_name(),
            "specc_source": source_digest()}


def report() -> dict[str, Any]:
    from specc.compiler.fingerprint import IMAGE_DIGEST_ENV, environment
    built = json.loads(STAMP.read_text()) if STAMP.exists() else None
    return {"digest": os.environ.get(IMAGE_DIGEST_ENV), "built": built, "os": os_name(),
            "environment": environment(), "packages": _debian_packages()}


def _debian_packages() -> list[str]:
    import subprocess
    try:
        done = subprocess.run(["dpkg-query", "-W", "-f", "${Package}=${Version}\n"], capture_output=True,
                              text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted(done.stdout.split())


def main(argv: list[str]) -> int:
    if argv[:1] == ["--stamp"]:
        target = Path(argv[1])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(stamp(), indent=1, sort_keys=True) + "\n")
        return 0
    json.dump(report(), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
