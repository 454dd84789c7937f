"""Requirement locks: every package of the image at an exact version with its sha256.

`specc image lock --variant V` regenerates `containers/requirements-V.lock`. pip
resolves specc's dependencies (from pyproject.toml) for the image's Python and
platform — not this machine's — without installing anything:

    pip install --dry-run --ignore-installed --report - --target <tmp> \
        --only-binary=:all: --python-version 3.11 --implementation cp --platform manylinux_2_17_x86_64 ... \
        -c <constraints> <checkout>

and the report names each chosen wheel with its hash. The constraints are the
versions installed where the command runs (`pip freeze` of this environment), so the
image holds what the tests passed with; `--fresh` resolves the newest allowed instead.
The CUDA variant is resolved against the package index alone (`pip --isolated`):
a local wheel folder holding torch's CPU build must not satisfy `torch==X`.
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .variants import PLATFORMS, PYTHON_VERSION, ImageError, Variant

HEADER = """\
# {variant} image of specc: every package at an exact version with its sha256 (pip --require-hashes).
# Regenerate: specc image lock --variant {variant}{fresh}
# Resolved by pip for CPython {python} on {platform} (bookworm), constrained to the versions of the
# environment that ran the command; specc itself is installed from the checkout at build time.
"""


# Not constrained to this environment: specc itself, and the installer's own tools (a venv has its
# own pip and setuptools, whatever the packages around it were tested with).
INSTALLER_TOOLS = ("specc", "pip", "setuptools", "wheel")


@dataclass(frozen=True)
class Requirement:
    name: str        # normalised (PEP 503)
    version: str
    hashes: tuple[str, ...]   # "sha256:<hex>"

    def line(self) -> str:
        hashes = "".join(f" \\\n    --hash={h}" for h in self.hashes)
        return f"{self.name}=={self.version}{hashes}"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> list[Requirement]:
    """The requirements of a lock file (continuation lines joined, comments skipped)."""
    if not path.exists():
        raise ImageError(f"{path} does not exist; make it with `specc image lock --variant "
                         f"{path.stem.removeprefix('requirements-')}`")
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        m = re.match(r"^([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)\s*$", line)
        if not m:
            raise ImageError(f"{path}: cannot read {line[:80]!r}: expected `name==version --hash=sha256:...`")
        hashes = tuple(h.removeprefix("--hash=") for h in m.group(3).split())
        out.append(Requirement(normalise(m.group(1)), m.group(2), hashes))
    return out


def lock_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def platform_args() -> list[str]:
    args = ["--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp"]
    for tag in PLATFORMS:
        args += ["--platform", tag]
    return args


def host_constraints(variant: Variant) -> list[str]:
    """`name==version` of every distribution installed here but specc itself; torch keeps its
    local label only where the variant wants that build (cpu), and loses it elsewhere."""
    lines, seen = [], set()
    for dist in metadata.distributions():   # in sys.path order: the first of a name is the one imported
        name = normalise(dist.metadata["Name"] or "")
        if not name or name in INSTALLER_TOOLS or name in seen:
            continue
        seen.add(name)
        version = dist.version
        if name == "torch":
            public, _, local = version.partition("+")
            version = version if local and local == variant.torch_local else public
        lines.append(f"{name}=={version}")
    return sorted(lines)


def resolve(variant: Variant, checkout: Path, fresh: bool = False) -> list[Requirement]:
    """Resolve specc's dependencies for the image with pip; returns them sorted by name."""
    with tempfile.TemporaryDirectory(prefix="specc-lock-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--disable-pip-version-check", "--report", str(report), "--target", str(Path(tmp) / "t"),
               *platform_args()]
        if variant.torch_local is None:
            cmd.insert(4, "--isolated")   # the index alone: no local folder of CPU wheels
        if not fresh:
            constraints = Path(tmp) / "constraints.txt"
            constraints.write_text("\n".join(host_constraints(variant)) + "\n")
            cmd += ["-c", str(constraints)]
        cmd.append(str(checkout))
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join(line for line in (done.stdout + done.stderr).splitlines() if "WARNING: Location" not in line)
            raise ImageError(f"pip could not resolve the {variant.name} image's packages:\n{tail[-3000:]}")
        installs = json.loads(report.read_text())["install"]
    reqs = []
    for item in installs:
        name = normalise(item["metadata"]["name"])
        if name == "specc":
            continue
        hashes = item.get("download_info", {}).get("archive_info", {}).get("hashes", {})
        if "sha256" not in hashes:
            raise ImageError(f"pip gave no sha256 for {name}: lock files need one per wheel")
        reqs.append(Requirement(name, item["metadata"]["version"], (f"sha256:{hashes['sha256']}",)))
    torch = next((r for r in reqs if r.name == "torch"), None)
    local = torch.version.partition("+")[2] or None if torch else None
    if torch is not None and local != variant.torch_local:
        raise ImageError(f"pip chose torch {torch.version} for the {variant.name} image, which needs "
                         f"{'the +' + variant.torch_local + ' build' if variant.torch_local else 'the default build'}")
    return sorted(reqs, key=lambda r: r.name)


def write_lock(path: Path, variant: Variant, reqs: list[Requirement], fresh: bool = False) -> None:
    header = HEADER.format(variant=variant.name, fresh=" --fresh" if fresh else "", python=PYTHON_VERSION,
                           platform="x86_64 manylinux")
    path.write_text(header + "".join(r.line() + "\n" for r in reqs))
