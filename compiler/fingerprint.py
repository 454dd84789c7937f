"""Canonical JSON and the environment fingerprint that enter every cache key."""
from __future__ import annotations

import hashlib
import json
import os
import platform
from functools import lru_cache
from importlib import metadata
from typing import Any

# Packages whose version can change a result; anything else (ray, rich ...) cannot.
RESULT_PACKAGES = ("torch", "transformers", "tokenizers", "trl", "peft", "datasets",
                   "numpy", "pandas", "scipy", "statsmodels", "scikit-learn")
from specc.containers.variants import IMAGE_DIGEST_ENV  # noqa: F401 - set when tasks run inside the pinned image


def canonical_json(obj: Any) -> str:
    """One spelling per value: sorted keys, no spaces, floats as Python's repr."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def environment() -> dict[str, Any]:
    from specc import __version__
    versions = {}
    for name in RESULT_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "specc": __version__,
        "python": platform.python_version(),
        "packages": versions,
        "image": os.environ.get(IMAGE_DIGEST_ENV),
    }


def environment_fingerprint(env: dict[str, Any] | None = None) -> str:
    """Of this process's environment, or of `env`: the pinned image's, for a container run."""
    return sha256_text(canonical_json(environment() if env is None else env))
