"""A task's life on a worker, without Ray: failures come back as results, never as exceptions."""
from __future__ import annotations

from runtime_helpers import fan_in

from specc.compiler import compile_spec
from specc.runtime.payload import PayloadBuilder
from specc.runtime.store import ArtifactStore
from specc.runtime.worker import ModelCache, execute


def _payloads(project, values: str = "", store=None):
    plan = compile_spec(project.write(fan_in(values=values)))
    builder = PayloadBuilder(plan, str(store or project.root / "store"), cpu_only=True)
    return plan, [builder.build(t) for t in plan.tasks]


def test_success_commits_the_artifact_with_its_manifest(project):
    plan, payloads = _payloads(project)
    result = execute(payloads[0], ModelCache(), {})
    assert result["status"] == "succeeded" and result["backoffs"] == 0
    manifest = ArtifactStore(project.root / "store").manifest(plan.tasks[0].key)
    assert manifest["task"] == "values/x=1" and manifest["op"] == "tiny.value" and manifest["version"] == 1
    assert manifest["condition"] == {"x": 1} and manifest["seed"] == 0
    assert manifest["environment"]["packages"]["torch"] and manifest["environment"]["device"].startswith("cpu")


def test_an_op_error_is_a_failed_result_with_its_traceback(project):
    _, payloads = _payloads(project, values="    fail: true\n")
    result = execute(payloads[0], ModelCache(), {})
    assert result["status"] == "failed" and result["error"] == "ValueError: told to fail (value=1.0)"
    assert "Traceback" in result["traceback"]
    assert list((project.root / "store" / ".tmp").iterdir()) == []  # its work folder is gone


def test_a_store_that_cannot_be_written_fails_the_task_not_the_worker(project):
    (project.root / "blocked").write_text("a file where the store's folder should be")
    _, payloads = _payloads(project, store=project.root / "blocked" / "store")
    result = execute(payloads[0], ModelCache(), {})
    assert result["status"] == "failed" and "Error" in result["error"]

