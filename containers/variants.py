"""The image variants: what each is built from and for.

Both variants are Debian 12 (bookworm) with its Python 3.11 — the Python the
requirement locks are resolved for — and install the same packages at the same
versions; they differ in their base and their torch build:

* `cpu`: a base made offline from Debian's packages (debootstrap + import), and
  torch's CPU build. Builds on a machine that reaches no container registry.
* `cuda`: `debian:bookworm-slim` pinned by digest in its recipe, and torch's default (CUDA) build,
  which brings the CUDA libraries as pinned wheels (`nvidia-*`); the driver comes
  from the host through CDI or `--gpus`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# The Python the image runs (bookworm's python3) and so the one wheels are chosen for.
PYTHON_VERSION = "3.11"
DEBIAN_SUITE = "bookworm"
# Wheels must run on bookworm's glibc 2.36; pip takes each manylinux tag it may pick.
PLATFORMS = tuple(f"manylinux_2_{minor}_x86_64" for minor in range(17, 37)) + (
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64")
# Debian packages of the CPU base: the interpreter and venv (pip comes from ensurepip).
BASE_PACKAGES = ("python3", "python3-venv")
# Set in a task's container (and on a Ray node started from the image) to the image's digest.
IMAGE_DIGEST_ENV = "SPECC_IMAGE_DIGEST"
DEFAULT_NAME = "localhost/specc"   # SPECC_IMAGE_NAME overrides it (tests build under their own name)


@dataclass(frozen=True)
class Variant:
    name: str
    recipe: str                 # the Containerfile, relative to containers/
    requirements: str           # the requirement lock, relative to containers/
    base: str                   # "debootstrap": made here; "recipe": the recipe's `ARG BASE=ref@sha256:...`
    torch_local: str | None     # torch's local version label this variant must have ("cpu"), None: none
    gpu: bool

    @property
    def tag(self) -> str:
        return f"{os.environ.get('SPECC_IMAGE_NAME') or DEFAULT_NAME}:{self.name}"

    def recipe_path(self, folder: Path) -> Path:
        return folder / self.recipe

    def requirements_path(self, folder: Path) -> Path:
        return folder / self.requirements


VARIANTS = {
    "cpu": Variant("cpu", "cpu/Containerfile", "requirements-cpu.lock", "debootstrap", "cpu", gpu=False),
    "cuda": Variant("cuda", "cuda/Containerfile", "requirements-cuda.lock", "recipe", None, gpu=True),
}


class ImageError(Exception):
    """An image cannot be built, found or used; the message says what to do."""


def recipe_base(recipe: Path) -> str:
    """The base a recipe pins (`ARG BASE=<ref>@sha256:<digest>`); refused unless pinned by digest."""
    m = re.search(r"^ARG BASE=(\S+)", recipe.read_text(), re.M)
    if not m or not re.search(r"@sha256:[0-9a-f]{64}$", m.group(1)):
        raise ImageError(f"{recipe}: the base must be pinned by digest: `ARG BASE=<image>@sha256:<64 hex>`")
    return m.group(1)


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ImageError(f"unknown image variant {name!r}; choose one of: {', '.join(VARIANTS)}") from None
