"""containers/image.lock: the images `specc image build` pinned, one entry per variant.

    {"format": 1, "images": {"cpu": {"digest": "sha256:...", "tag": "localhost/specc:cpu",
      "built": "...Z", "engine": "podman version 4.3.1", "base": {...}, "requirements": {...},
      "os": "Debian GNU/Linux 12 (bookworm)", "specc_source": "sha256:...",
      "environment": {... what enters cache keys inside the image ...}, "debian_packages": [...]}}}

The digest is the image ID: the sha256 of the image's config, which names every layer
by the digest of its content. It survives `podman push` / `pull` unchanged (a registry's
manifest digest does not: layers may be recompressed), so it is what a run checks.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .variants import ImageError

LOCK_NAME = "image.lock"
FORMAT = 1


def lock_path(folder: Path) -> Path:
    return folder / LOCK_NAME


def read_image_lock(folder: Path) -> dict[str, Any]:
    """The lock's images by variant ({} when nothing was built yet)."""
    path = lock_path(folder)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ImageError(f"{path} is not valid JSON ({exc}); rebuild with `specc image build`") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("images"), dict):
        raise ImageError(f"{path}: not an image lock of format {FORMAT}; rebuild with `specc image build`")
    return data["images"]


def pinned(folder: Path, variant: str) -> dict[str, Any]:
    images = read_image_lock(folder)
    if variant not in images:
        raise ImageError(f"{lock_path(folder)} pins no {variant} image; build it with "
                         f"`specc image build --variant {variant}`")
    return images[variant]


def write_image_lock(folder: Path, variant: str, record: dict[str, Any]) -> Path:
    images = read_image_lock(folder)
    images[variant] = record
    path = lock_path(folder)
    path.write_text(json.dumps({"format": FORMAT, "images": dict(sorted(images.items()))}, indent=1,
                               sort_keys=True) + "\n")
    return path
