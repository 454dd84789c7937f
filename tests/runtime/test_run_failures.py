"""Failures with real Ray: an op error fails its task and skips what depends on it,
unrelated tasks go on; a dead worker is retried; an OOM backs the batch off."""
from __future__ import annotations

import pytest

from runtime_helpers import table

TWO_BRANCHES = """\
conditions:
  x: [1, 2]
stages:
  values:
    op: tiny.value
    over: [x]
    value: ${x}
    fail: {fail}
    log: {log}
  after:
    op: tiny.sum
    over: [x]
    of: values
    log: {log}
"""


def test_op_error_fails_its_task_skips_dependants_and_spares_the_rest(ray_session, project):
    body = TWO_BRANCHES.replace("    fail: {fail}\n", "").replace(
        "    value: ${x}\n", "    value: ${x}\n    fail: ${bad}\n").replace(
        "conditions:\n  x: [1, 2]", "conditions:\n  zip:\n    - x: [1, 2]\n      bad: [false, true]")
    body = body.replace("over: [x]", "over: [x, bad]", 1)
    plan, result = project.run(body)
    assert not result.ok
    assert [tid for tid, _ in result.failed] == ["values/x=2/bad=true"]
    assert "ValueError: told to fail" in result.failed[0][1]
    assert result.counts == {"cached": 0, "succeeded": 2, "failed": 1, "blocked": 1}
    from specc.runtime.run import open_ledger
    ledger = open_ledger(plan)
    tasks = {t["task_id"]: t for t in ledger.tasks(result.run_id)}
    assert tasks["after/x=2"]["status"] == "skipped"
    assert tasks["after/x=2"]["reason"] == "upstream values/x=2/bad=true failed"
    assert tasks["after/x=1"]["status"] == "succeeded"
    attempt = ledger.attempts(result.run_id, "values/x=2/bad=true")
    assert len(attempt) == 1 and "raise ValueError" in attempt[0]["traceback"]
    assert ledger.run(result.run_id)["status"] == "failed"


def test_a_failed_task_runs_again_next_time(ray_session, project):
    _, first = project.run(TWO_BRANCHES.replace("{fail}", "true"))
    assert first.counts == {"cached": 0, "failed": 2, "blocked": 2}
    _, second = project.run()
    assert second.counts == {"cached": 0, "failed": 2, "blocked": 2}
    assert len(project.executions()) == 4  # failures are never cached


def test_a_worker_that_dies_is_replaced_and_its_task_retried(ray_session, project):
    plan, result = project.run("""\
stages:
  crashy:
    op: tiny.value
    value: 7
    crash_once: true
    log: {log}
""")
    assert result.ok and result.counts == {"cached": 0, "succeeded": 1}
    assert len(project.executions("crash")) == 1 and len(project.executions("ran")) == 2
    from specc.runtime.run import open_ledger
    attempts = open_ledger(plan).attempts(result.run_id, "crashy")
    assert [a["status"] for a in attempts] == ["lost", "succeeded"]
    assert "worker died" in attempts[0]["error"]


def test_retries_are_bounded(ray_session, project):
    _, result = project.run("""\
stages:
  crashy:
    op: tiny.value
    crash_once: true
    log: {log}
""", retries=0)
    assert result.counts == {"cached": 0, "failed": 1}
    assert "worker died" in result.failed[0][1]


def test_out_of_memory_halves_the_batch_until_it_fits(ray_session, project):
    plan, result = project.run("""\
stages:
  big:
    op: tiny.value
    batch: 64
    oom_above: 10
    log: {log}
""")
    assert result.ok
    assert table(plan, project.root / ".specc" / "store", "big")["batch"].tolist() == [8]
    from specc.runtime.store import ArtifactStore
    manifest = ArtifactStore(project.root / ".specc" / "store").manifest(plan.tasks[0].key)
    assert manifest["oom_backoffs"] == 3 and manifest["batch_scale"] == 0.125


GPU_SPEC = """\
stages:
  gpu:
    op: tiny.value
    resources: {gpus: 1}
    log: {log}
"""


def test_gpus_on_a_cpu_only_cluster_fail_before_anything_runs(ray_session, project):
    import ray
    if ray.cluster_resources().get("GPU"):
        pytest.skip("this machine has a GPU")
    from specc.runtime.cluster import Infeasible
    with pytest.raises(Infeasible, match=r"stage gpu needs 1 GPU, 1 CPU per task, which no node has"):
        project.run(GPU_SPEC)
    assert project.executions() == []


def test_allow_cpu_runs_gpu_stages_on_cpu_with_a_warning(ray_session, project):
    _, result = project.run(GPU_SPEC, allow_cpu=True)
    assert result.ok
    assert result.warnings == ["stage gpu: asks for 1 GPU per task; running on CPU (--allow-cpu)"]
