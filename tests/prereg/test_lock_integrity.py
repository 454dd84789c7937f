"""A lock cannot be edited quietly: its hash is checked against its content, amendments form
a chain, a seal covers the rest; data files changed since freezing are deviations naming the
file; freezing after results were seen is recorded."""
import json

import pytest
from lock_helpers import COMMIT, LATER, NOW, compiled

from specc.prereg.deviations import deviations, readers
from specc.prereg.lock import LockTampered, amend, freeze, read_lock

WITH_DATA = ("conditions:", "data:\n  rows: {csv: rows.csv}\nconditions:")


def frozen(tmp_path):
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n3,4\n")
    plan = compiled(tmp_path, WITH_DATA)
    return plan, freeze(plan, plan.path, now=NOW, commit=COMMIT)


def edit(lock_path, change):
    data = json.loads(lock_path.read_text())
    change(data)
    lock_path.write_text(json.dumps(data, indent=2))


def test_a_hand_edited_threshold_is_refused(tmp_path):
    plan, lock = frozen(tmp_path)
    edit(lock.path, lambda d: d["content"]["hypotheses"]["H1"].update(expect="> 0.1"))
    with pytest.raises(LockTampered, match="is not the hash of its content"):
        read_lock(lock.path)


def test_an_edit_with_a_recomputed_content_hash_still_breaks_the_seal(tmp_path):
    from specc.prereg.lock import content_hash
    plan, lock = frozen(tmp_path)

    def change(d):
        d["content"]["hypotheses"]["H1"]["expect"] = "> 0.1"
        d["hash"] = d["frozen_hash"] = content_hash(d["content"])
    edit(lock.path, change)
    with pytest.raises(LockTampered, match="seal does not match"):
        read_lock(lock.path)


def test_amendments_form_a_chain(tmp_path):
    plan, lock = frozen(tmp_path)
    plan2 = compiled(tmp_path, WITH_DATA, ('expect: "> 0.5"', 'expect: "> 0.6"'))
    amend(plan2, plan2.path, "typo", now=LATER, commit=COMMIT)
    plan3 = compiled(tmp_path, WITH_DATA, ('expect: "> 0.5"', 'expect: "> 0.7"'))
    amended = amend(plan3, plan3.path, "another", now=LATER, commit=COMMIT)
    assert read_lock(amended.path).amendments == amended.amendments
    before = amended.path.read_text()
    edit(amended.path, lambda d: d["amendments"].pop(0))                 # remove the first
    with pytest.raises(LockTampered, match="amendment 1 follows hash"):
        read_lock(amended.path)
    amended.path.write_text(before)
    edit(amended.path, lambda d: d["amendments"][0].update(reason="planned all along"))  # rewrite one
    with pytest.raises(LockTampered, match="seal does not match"):
        read_lock(amended.path)


def test_a_changed_data_file_is_a_deviation_naming_it(tmp_path):
    plan, lock = frozen(tmp_path)
    assert lock.data_files == {"rows": {"rows.csv": json.loads(lock.path.read_text())["data_files"]["rows"]["rows.csv"]}}
    assert not [d for d in deviations(lock, plan, readers(plan)) if d.path.startswith("data")]
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n30,4\n")
    plan = compiled(tmp_path, WITH_DATA)
    found, = [d for d in deviations(read_lock(lock.path), plan, readers(plan)) if d.path.startswith("data")]
    assert found.path == "data.rows: rows.csv"
    assert found.effect.startswith("data file changed since the lock")


def test_run_refuses_a_tampered_lock(tmp_path):
    from specc.runtime.run import RunSetupError, demoted_hypotheses
    plan, lock = frozen(tmp_path)
    edit(lock.path, lambda d: d["content"]["hypotheses"]["H1"].update(expect="> 0.1"))
    with pytest.raises(RunSetupError, match="edited by hand"):
        demoted_hypotheses(plan)


def test_freezing_after_results_is_recorded(tmp_path):
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n")
    plan = compiled(tmp_path, WITH_DATA)
    lock = freeze(plan, plan.path, now=NOW, commit=COMMIT, after_results={"runs": 2, "latest": "r2"})
    assert read_lock(lock.path).after_results == {"runs": 2, "latest": "r2"}
