"""`specc plan`'s hit / miss per task, and the reason for each miss (no Ray needed)."""
from __future__ import annotations

import json

from specc.compiler import compile_spec
from specc.runtime.cache_status import cache_statuses
from specc.runtime.payload import key_parts
from specc.runtime.run import open_ledger, open_store

from runtime_helpers import fan_in

SPEC = fan_in(total="    sleep: 0\n")


def _record(plan, status="succeeded"):
    """A finished run of `plan` in the ledger, and its artifacts in the store."""
    ledger, store = open_ledger(plan), open_store(plan, None)
    run = ledger.start_run(plan, store.uri, None, ["test"])
    ledger.add_tasks(run, [(t.id, t.stage, "op", t.key, status, None, json.dumps(key_parts(plan, t)))
                           for t in plan.tasks])
    if status == "succeeded":
        for t in plan.tasks:
            folder = store.begin(t.key)
            (folder / "table.parquet").write_text("x")
            store.commit(t.key, folder, {})
    ledger.close()
    return store


def _reasons(project, body):
    plan = compile_spec(project.write(body))
    ledger = open_ledger(plan)
    statuses = cache_statuses(plan, open_store(plan, None), ledger)
    return {t.id: ("hit" if s.hit else s.reason) for t, s in zip(plan.tasks, statuses)}


def test_a_spec_never_run_is_all_new(project):
    assert set(_reasons(project, SPEC).values()) == {"new task"}


def test_a_finished_spec_is_all_hits(project):
    _record(compile_spec(project.write(SPEC)))
    assert set(_reasons(project, SPEC).values()) == {"hit"}


def test_a_param_change_names_params_there_and_upstream_below(project):
    _record(compile_spec(project.write(SPEC)))
    reasons = _reasons(project, SPEC.replace("value: ${x}", "value: ${x}\n    batch: 32"))
    assert reasons == {"values/x=1": "params changed", "values/x=2": "params changed",
                       "total": "upstream changed"}


def test_a_new_condition_is_new_and_the_rest_stay_hits(project):
    _record(compile_spec(project.write(SPEC)))
    reasons = _reasons(project, SPEC.replace("x: [1, 2]", "x: [1, 2, 3]"))
    assert reasons == {"values/x=1": "hit", "values/x=2": "hit", "values/x=3": "new task",
                       "total": "upstream changed"}


def test_failed_and_deleted_artifacts_say_so(project):
    plan = compile_spec(project.write(SPEC))
    _record(plan, status="failed")
    assert set(_reasons(project, SPEC).values()) == {"failed last run"}
    store = _record(plan)
    store.remove(plan.tasks[0].key)
    assert _reasons(project, SPEC)["values/x=1"] == "artifact missing from the store"


def test_an_op_version_change_is_named_with_both_versions(project):
    plan = compile_spec(project.write(SPEC))
    _record(plan)
    parts = key_parts(plan, plan.tasks[0])
    from specc.runtime.cache_status import miss_reason
    old = {"parts": {**parts, "op": "tiny.value@0"}, "status": "succeeded"}
    assert parts["op"].startswith("tiny.value@1+code:")  # a plugin op: its source digest too
    assert miss_reason(parts, old) == f"op version or code changed (tiny.value@0 -> {parts['op']})"
    assert miss_reason(parts, {"parts": {**parts, "data": "old"}, "status": "succeeded"}) == "data changed"
    assert miss_reason(parts, {"parts": {**parts, "env": "old"}, "status": "succeeded"}) == "environment changed"
