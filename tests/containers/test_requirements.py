"""Requirement locks: the committed ones are complete and hashed; reading and constraints."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from specc.containers.requirements import Requirement, host_constraints, normalise, read_lock, write_lock
from specc.containers.variants import VARIANTS, ImageError, recipe_base

CONTAINERS = Path(__file__).resolve().parents[2] / "containers"


def _dependencies() -> list[str]:
    return tomllib.loads((CONTAINERS.parent / "pyproject.toml").read_text())["project"]["dependencies"]


@pytest.mark.parametrize("name", ["cpu", "cuda"])
def test_committed_locks_pin_every_package_with_a_hash(name):
    variant = VARIANTS[name]
    reqs = read_lock(variant.requirements_path(CONTAINERS))
    names = {r.name for r in reqs}
    # specc's dependencies (pyproject.toml) are all there, specc itself is not: a new dependency
    # needs `specc image lock` again, else the image's `pip check` fails
    assert {normalise(re.split(r"[<>=!\[ ]", d)[0]) for d in _dependencies()} - names == set()
    assert "specc" not in names
    assert all(r.hashes and all(h.startswith("sha256:") and len(h) == 71 for h in r.hashes) for r in reqs)
    torch = next(r for r in reqs if r.name == "torch")
    assert torch.version.endswith("+cpu") == (name == "cpu")
    assert "Regenerate: specc image lock --variant " + name in variant.requirements_path(CONTAINERS).read_text()


def test_cpu_and_cuda_locks_agree_on_shared_packages():
    """Same numbers on either variant: every package both have is at the same version."""
    cpu = {r.name: r.version for r in read_lock(VARIANTS["cpu"].requirements_path(CONTAINERS))}
    cuda = {r.name: r.version for r in read_lock(VARIANTS["cuda"].requirements_path(CONTAINERS))}
    differ = {n: (cpu[n], cuda[n]) for n in cpu.keys() & cuda.keys()
              if n != "torch" and cpu[n] != cuda[n]}
    assert differ == {}
    assert cpu["torch"].split("+")[0] == cuda["torch"]


def test_lock_round_trip(tmp_path):
    reqs = [Requirement("ray", "2.60.0", ("sha256:" + "a" * 64,)),
            Requirement("torch", "2.13.0+cpu", ("sha256:" + "b" * 64, "sha256:" + "c" * 64))]
    path = tmp_path / "requirements-cpu.lock"
    write_lock(path, VARIANTS["cpu"], reqs)
    assert read_lock(path) == reqs


def test_unreadable_line_names_the_file(tmp_path):
    path = tmp_path / "requirements-cpu.lock"
    path.write_text("torch>=2\n")
    with pytest.raises(ImageError, match=r"requirements-cpu.lock: cannot read 'torch>=2'"):
        read_lock(path)


def test_constraints_keep_torch_build_only_where_the_variant_wants_it(monkeypatch):
    from importlib import metadata

    class Dist:
        def __init__(self, name, version):
            self.metadata, self.version = {"Name": name}, version

    dists = [Dist("torch", "2.13.0+cpu"), Dist("Ray", "2.60.0"), Dist("specc", "0.1.0"), Dist("pip", "23.2"),
             Dist("ray", "2.1.0")]   # a second `ray` later on sys.path is not the one imported
    monkeypatch.setattr(metadata, "distributions", lambda: iter(dists))
    assert host_constraints(VARIANTS["cpu"]) == ["ray==2.60.0", "torch==2.13.0+cpu"]
    assert host_constraints(VARIANTS["cuda"]) == ["ray==2.60.0", "torch==2.13.0"]


def test_cuda_recipe_base_is_pinned_by_digest(tmp_path):
    assert "@sha256:" in recipe_base(VARIANTS["cuda"].recipe_path(CONTAINERS))
    unpinned = tmp_path / "Containerfile"
    unpinned.write_text("ARG BASE=docker.io/library/debian:bookworm-slim\nFROM ${BASE}\n")
    with pytest.raises(ImageError, match="pinned by digest"):
        recipe_base(unpinned)


def test_the_source_digest_covers_every_folder_specc_installs():
    """probe.PACKAGES must name each top-level folder of pyproject.toml's package-dir, else an edit
    there would not tell a checkout from the image built before it."""
    from specc.containers.probe import PACKAGES, source_digest
    config = tomllib.loads((CONTAINERS.parent / "pyproject.toml").read_text())
    assert set(PACKAGES) == set(config["tool"]["setuptools"]["package-dir"])
    assert source_digest().startswith("sha256:") and source_digest() == source_digest()
