"""`[tracking] mlflow_uri` in specc.toml: every task an MLflow run with its params, its
per-step metrics and its outcome (a local file store; no server)."""
from __future__ import annotations

import pytest

from specc.compiler import compile_spec
from specc.runtime.inline import TaskFailed, run_inline

mlflow = pytest.importorskip("mlflow")

SPEC = """\
conditions:
  x: [1, 2]
stages:
  slow:
    op: tiny.progress
    over: [x]
    steps: 4
    step_seconds: 0
  broken:
    op: tiny.progress
    steps: 5
    step_seconds: 0
    fail_at: 2
"""


def test_each_task_is_an_mlflow_run_with_params_and_metrics(project, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    (project.root / "specc.toml").write_text('[tracking]\nmlflow_uri = "file:./mlruns"\n')
    plan = compile_spec(project.write(SPEC))
    with pytest.raises(TaskFailed):
        run_inline(plan, project.root / "store")    # runs slow x=1, x=2, then broken fails

    client = mlflow.MlflowClient(tracking_uri=f"file:{project.root / 'mlruns'}")
    experiment = client.get_experiment_by_name("runtime-test")   # the spec's name
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {"slow/x=1", "slow/x=2", "broken"}

    one = runs["slow/x=1"]
    assert one.info.status == "FINISHED"
    assert one.data.params["steps"] == "4" and one.data.params["condition.x"] == "1"
    assert one.data.tags["specc.stage"] == "slow" and one.data.tags["specc.op"] == "tiny.progress"
    loss = client.get_metric_history(one.info.run_id, "loss")
    assert sorted((m.step, m.value) for m in loss) == [(s, pytest.approx(1 / s)) for s in range(1, 5)]

    broken = runs["broken"]
    assert broken.info.status == "FAILED"
    assert [m.step for m in client.get_metric_history(broken.info.run_id, "loss")] == [1, 2]
