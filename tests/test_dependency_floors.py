"""Dependency floors match the code: the declared minimum versions are versions that exist,
that specc's own dependencies accept, and that the op tests pass with (`.ci/minimal-versions`)."""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
DEPENDENCIES = [Requirement(d) for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]


def floor(req: Requirement) -> Version | None:
    found = [Version(s.version) for s in req.specifier if s.operator == ">="]
    return max(found) if found else None


def test_every_dependency_has_a_floor():
    assert [r.name for r in DEPENDENCIES if floor(r) is None] == []


def test_floors_satisfy_what_our_dependencies_require():
    """trl 1.16 needs datasets >= 4.7 and pyarrow >= 21: a floor below that is not a real one.
    Checked for every dependency installed here at its floor (then its metadata is the floor's)."""
    ours = {r.name.lower(): r for r in DEPENDENCIES}
    problems = []
    for req in DEPENDENCIES:
        try:
            if Version(metadata.version(req.name)) != floor(req):
                continue
            required = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in required:
            sub = Requirement(text)
            if sub.marker is not None or sub.name.lower() not in ours:
                continue
            mine = floor(ours[sub.name.lower()])
            theirs = [Version(s.version) for s in sub.specifier if s.operator in (">=", ">")]
            if mine is not None and theirs and mine < max(theirs):
                problems.append(f"{req.name} requires {sub}, but pyproject.toml allows {sub.name}>={mine}")
    assert problems == [], "\n".join(problems)


def test_gradient_checkpointing_argument_of_older_transformers():
    """transformers 5.17's TrainingArguments has no `activation_checkpointing` (every TRL op
    failed there with an unexpected keyword argument): the older name is used instead."""
    from specc.ops.train._trl import checkpointing_arg

    @dataclasses.dataclass
    class Old517:
        gradient_checkpointing: bool = False

    @dataclasses.dataclass
    class New:
        gradient_checkpointing: bool = False
        activation_checkpointing: bool = False

    assert checkpointing_arg(Old517) == "gradient_checkpointing"
    assert checkpointing_arg(New) == "activation_checkpointing"
    from trl import SFTConfig
    assert checkpointing_arg(SFTConfig) in {f.name for f in dataclasses.fields(SFTConfig)}


@pytest.mark.minimal_versions
@pytest.mark.skipif(not os.environ.get("SPECC_MINIMAL_VERSIONS"),
                    reason="installs the declared minimum versions (network, minutes): SPECC_MINIMAL_VERSIONS=1")
def test_op_tests_pass_with_the_declared_minimum_versions(tmp_path):
    done = subprocess.run([str(ROOT / ".ci" / "minimal-versions"), str(tmp_path / "venv")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
