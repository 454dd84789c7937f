"""The CPU variant's base image, made offline from Debian's packages.

No container registry is reachable from the development machine, so the base is not
pulled: `debootstrap --variant=minbase --include=python3,python3-venv bookworm` builds a
root file system from the Debian mirror this machine's apt uses (or SPECC_DEBIAN_MIRROR),
and `podman import` turns it into an image. Its ID and its package list (name=version)
are kept in `<cache>/base/<suite>.json` and reused while the engine still has the image,
so only the first build pays the ~1-2 minutes; `specc image build --rebuild-base` makes it again.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from .engine import Engine
from .variants import BASE_PACKAGES, DEBIAN_SUITE, ImageError

BASE_TAG = "localhost/specc-base"
# Left out of the image: kernel file systems, and the package downloads and lists.
EXCLUDE = ("./dev/*", "./proc/*", "./sys/*", "./var/cache/apt/archives/*.deb", "./var/lib/apt/lists/*")


def debian_mirror() -> str:
    """SPECC_DEBIAN_MIRROR, else the first non-security Debian mirror of this machine's apt."""
    if os.environ.get("SPECC_DEBIAN_MIRROR"):
        return os.environ["SPECC_DEBIAN_MIRROR"]
    texts = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            texts.append(path.read_text())
        except OSError:
            continue
    for text in texts:
        uris = re.findall(r"^URIs:\s*(\S+)", text, re.M) + re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", text, re.M)
        for uri in uris:
            if "security" not in uri:
                return uri
    raise ImageError("no Debian mirror found in /etc/apt; set SPECC_DEBIAN_MIRROR to one")


def ensure_base(engine: Engine, cache: Path, rebuild: bool = False, log=print) -> dict:
    """The base image's record (id, suite, mirror, packages), built when missing."""
    record_path = cache / "base" / f"{DEBIAN_SUITE}.json"
    if record_path.exists() and not rebuild:
        record = json.loads(record_path.read_text())
        if engine.image_id(record["id"]) == record["id"]:
            return record
    if not shutil.which("debootstrap"):
        raise ImageError("debootstrap is not installed; on Debian: apt-get install -y debootstrap")
    mirror = debian_mirror()
    rootfs = cache / "base" / f"rootfs-{DEBIAN_SUITE}"
    shutil.rmtree(rootfs, ignore_errors=True)
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    log(f"base: debootstrap {DEBIAN_SUITE} from {mirror} (a few minutes, once)")
    t0 = time.time()
    done = subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
                           DEBIAN_SUITE, str(rootfs), mirror], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(rootfs, ignore_errors=True)
        raise ImageError(f"debootstrap failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-2000:]}")
    try:
        packages = subprocess.run(
            ["dpkg-query", f"--admindir={rootfs}/var/lib/dpkg", "-W", "-f", "${Package}=${Version}\n"],
            capture_output=True, text=True, check=True).stdout.split()
        tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(rootfs), *[f"--exclude={e}" for e in EXCLUDE],
                                "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(engine.command("import", "--change", "CMD [\"/bin/bash\"]", "-",
                                                 f"{BASE_TAG}:{DEBIAN_SUITE}"),
                                  stdin=tar.stdout, capture_output=True, text=True, check=False)
        tar.stdout.close()
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise ImageError(f"{engine.name} import of the base failed: {imported.stderr[-2000:]}")
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    image_id = engine.image_id(f"{BASE_TAG}:{DEBIAN_SUITE}")
    record = {"id": image_id, "ref": f"{BASE_TAG}:{DEBIAN_SUITE}", "kind": "debootstrap", "suite": DEBIAN_SUITE,
              "mirror": mirror, "packages": sorted(packages), "seconds": round(time.time() - t0, 1)}
    record_path.write_text(json.dumps(record, indent=1))
    log(f"base: {image_id} ({len(packages)} Debian packages, {record['seconds']:.0f}s)")
    return record
