"""Run inside an image: what it reports about itself (`python -m specc.runtime.image_probe`).

`--stamp FILE` (the image's last build step) writes the build's facts to
/etc/specc/image.json: variant, base, requirement lock, OS, specc's source digest.
Without it, prints that stamp, the OS, the Debian packages and the environment that
enters cache keys, as JSON: what `specc image build` records in image.lock.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from specc.compiler.fingerprint import IMAGE_DIGEST_ENV, environment
from specc.containers.probe import STAMP, os_name, source_digest


def stamp() -> dict[str, Any]:
    """The facts fixed when the image was built (build args arrive as environment)."""
    return {"variant": os.environ.get("SPECC_VARIANT"), "base": os.environ.get("BASE_DIGEST"),
            "requirements": os.environ.get("REQUIREMENTS_SHA256"), "os": os_name(),
            "specc_source": source_digest()}


def report() -> dict[str, Any]:
    built = json.loads(STAMP.read_text()) if STAMP.exists() else None
    return {"digest": os.environ.get(IMAGE_DIGEST_ENV), "built": built, "os": os_name(),
            "environment": environment(), "packages": _debian_packages()}


def _debian_packages() -> list[str]:
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
