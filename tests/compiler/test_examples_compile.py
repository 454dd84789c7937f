"""Every example spec in specs/ validates and plans, with and without its smoke profile."""
from pathlib import Path

import pytest

from specc.compiler import compile_spec

SPECS = sorted((Path(__file__).parents[2] / "specs").glob("[!.]*.yaml"))


def test_there_are_five_examples():
    assert len(SPECS) >= 5, [s.name for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
@pytest.mark.parametrize("profile", [None, "smoke"])
def test_example_compiles(spec, profile):
    plan = compile_spec(spec, profile=profile)
    assert plan.tasks, "a plan with no tasks runs nothing"
    assert not [w for w in plan.warnings], [str(w) for w in plan.warnings]
    ids = plan.task_ids()
    assert len(ids) == len(set(ids)), "task ids must be unique"
    keys = [t.key for t in plan.tasks]
    assert len(keys) == len(set(keys)), "cache keys must be unique"
    for task in plan.tasks:  # the DAG is topologically ordered: inputs come first
        index = ids.index(task.id)
        assert all(dep < index for dep in task.deps)


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_example_starts_with_schema_modeline(spec):
    assert spec.read_text().startswith("# yaml-language-server: $schema=")


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_smoke_profile_is_smaller(spec):
    full, smoke = compile_spec(spec), compile_spec(spec, profile="smoke")
    assert smoke.total_gpu_hours <= full.total_gpu_hours
    assert len(smoke.tasks) <= len(full.tasks)
