"""Every example spec matches its frozen lock: a change to the confirmatory content, or a
new spec field whose default leaks into the locked content, shows up here and not only as
deviations in a report. (A spec changed on purpose is amended: specc prereg --amend.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from specc.compiler import compile_spec
from specc.prereg.lock import confirmatory_content, content_hash, read_lock

SPECS = sorted((Path(__file__).parents[2] / "specs").glob("*.yaml"))


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_example_spec_matches_its_lock(path):
    plan = compile_spec(path)
    lock = read_lock(path, plan.spec.name)
    assert lock is not None, f"{path.name} is not pre-registered"
    assert content_hash(confirmatory_content(plan)) == lock.hash, (
        f"{path.name} differs from {lock.path.name}; amend it with a reason if the change is intended")


def test_a_default_resource_choice_is_not_frozen():
    from specc.compiler.spec_model import Resources
    assert "sharding" not in Resources().model_dump()
    assert Resources(sharding="full").model_dump()["sharding"] == "full"
