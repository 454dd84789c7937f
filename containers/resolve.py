"""Which image a run's tasks use, and whether that may run at all.

The image is the one under the variant's tag (`localhost/specc:cpu`) — or, when the
tag is gone, the locked digest itself. It must be the image `containers/image.lock`
pins: otherwise the run is refused, or, when the user allows it
(`--allow-image-change`), runs in the image that is there and reports the
difference as a deviation. Either way the digest that enters every cache key and
every manifest is the one the tasks actually run in.

Inside the image (a Ray node started from it, or `specc run` in a container) there
is no engine: the image is the one the node's SPECC_IMAGE_DIGEST names.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .imagelock import lock_path, pinned
from .probe import STAMP
from .variants import IMAGE_DIGEST_ENV, ImageError


class ImageRefused(ImageError):
    """The image differs from the lock and the user did not allow it."""


@dataclass(frozen=True)
class RunImage:
    variant: str
    engine: str | None          # podman | docker; None: the driver runs inside the image
    digest: str                 # what the tasks run in
    locked: str                 # what image.lock pins
    tag: str
    environment: dict[str, Any]  # the image's environment: it enters every cache key
    os: str | None
    lock_file: str
    allow_change: bool = False
    deviations: list[dict[str, Any]] = field(default_factory=list)   # image and node differences

    def to_dict(self) -> dict[str, Any]:
        return {"variant": self.variant, "engine": self.engine, "digest": self.digest, "locked": self.locked,
                "tag": self.tag, "os": self.os, "lock_file": self.lock_file, "deviations": list(self.deviations)}


def inside_image() -> str | None:
    """The digest of the image this process runs in (its launcher sets SPECC_IMAGE_DIGEST), or None."""
    digest = os.environ.get(IMAGE_DIGEST_ENV)
    return digest if digest and STAMP.exists() else None


def deviation(locked: str, now: str, where: str, allowed_by: str = "--allow-image-change") -> dict[str, Any]:
    """One difference from the lock, in the shape of the report's deviation rows."""
    return {"path": f"image ({where})", "locked": locked, "now": now,
            "effect": f"tasks ran in an image other than the pinned one (allowed by {allowed_by}); "
                      "results may differ from the pinned environment's"}


def resolve_image(folder: Path, variant: str = "cpu", engine_name: str | None = None,
                  allow_change: bool = False, shown: str | None = None,
                  here_environment: dict[str, Any] | None = None) -> RunImage:
    """`here_environment`: this process's environment (compiler.fingerprint.environment()), what
    enters keys when this process itself runs inside the image."""
    rec = pinned(folder, variant)
    locked, tag = rec["digest"], rec.get("tag", "")
    shown = shown or str(lock_path(folder))
    here = inside_image()
    if here is not None:
        from .probe import os_name
        actual, engine, env, os_ = here, None, dict(here_environment or {}), os_name()
    else:
        from .engine import Engine
        eng = Engine.find(engine_name)
        actual = eng.image_id(tag) if tag else None
        if actual is None and eng.image_id(locked) == locked:
            actual = locked   # untagged, but the pinned image itself is here
        if actual is None:
            raise ImageError(f"{eng.name} has no {variant} image here ({tag or locked}); build it with "
                             f"`specc image build --variant {variant}` or pull it by its digest {locked}")
        engine, env, os_ = eng.name, dict(rec.get("environment") or {}), rec.get("os")
        if actual != locked:
            env, os_ = _probe(eng, actual)
    if actual != locked and not allow_change:
        raise ImageRefused(
            f"the {variant} image here ({tag or 'inside this container'}) is {actual}, but {shown} pins "
            f"{locked}: results would not come from the pinned environment. Rebuild and re-pin it with "
            f"`specc image build --variant {variant}` (a reviewed change to {shown}), restore the pinned "
            f"image, or pass --allow-image-change to run anyway and report the difference as a deviation")
    env = {**env, "image": actual}
    devs = [deviation(locked, actual, "this machine")] if actual != locked else []
    return RunImage(variant, engine, actual, locked, tag, env, os_, shown, allow_change, devs)


def _probe(engine, digest: str) -> tuple[dict[str, Any], str | None]:
    from .build import probe_image
    report = probe_image(engine, digest)
    return report["environment"], report.get("os")


@dataclass(frozen=True)
class ContainerRequest:
    """What the command line asks for: `--container`, `--variant`, `--engine`, `--allow-image-change`."""
    enabled: bool | None = None     # True: run in the image; False: never (validate); None: as the spec says
    variant: str | None = None
    engine: str | None = None
    allow_change: bool = False


def wanted(runtime_container, request: ContainerRequest | None) -> tuple[str, str | None, bool] | None:
    """(variant, engine, allow_change) when the tasks run in the image — the spec's
    `runtime.container`, overridden by the command line — else None."""
    request = request or ContainerRequest()
    if request.enabled is False:
        return None
    if runtime_container is None and not request.enabled and not request.variant:
        return None
    variant = request.variant or (runtime_container.variant if runtime_container else "cpu")
    engine = request.engine or (runtime_container.engine if runtime_container else None)
    return variant, engine, request.allow_change
