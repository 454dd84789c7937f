"""Freezing a lock: written once, a no-op for the same spec, never overwritten silently."""
import json

import pytest
from lock_helpers import COMMIT, LATER, NOW, compiled

from specc import __version__
from specc.prereg.lock import LockError, LockExists, amend, freeze, lock_path, read_lock


def test_freeze_writes_the_lock_beside_the_spec(tmp_path):
    plan = compiled(tmp_path)
    lock = freeze(plan, plan.path, now=NOW, commit=COMMIT)
    assert lock.path == tmp_path / "lock-test.lock.json" == lock_path(plan.path, "lock-test")
    data = json.loads(lock.path.read_text())
    assert data["format"] == 1 and data["spec"] == "lock-test"
    assert data["frozen_at"] == "2025-01-02T03:04:05Z"
    assert data["commit"] == COMMIT and data["dirty"] is False
    assert data["specc_version"] == __version__
    assert len(data["hash"]) == 64 and data["amendments"] == []
    # no data or models: those sections are at their empty default, not frozen
    assert set(data["content"]) == {"question", "seed", "conditions", "stages", "hypotheses", "decision"}
    assert read_lock(plan.path) == lock
    assert read_lock(lock.path) == lock


def test_same_spec_is_a_no_op(tmp_path):
    plan = compiled(tmp_path)
    first = freeze(plan, plan.path, now=NOW, commit=COMMIT)
    before = first.path.read_bytes()
    again = freeze(compiled(tmp_path), plan.path, now=LATER, commit="f" * 40)
    assert again.frozen_at == first.frozen_at and again.commit == COMMIT
    assert first.path.read_bytes() == before


def test_a_different_spec_is_refused_naming_file_and_field(tmp_path):
    plan = compiled(tmp_path)
    lock = freeze(plan, plan.path, now=NOW, commit=COMMIT)
    before = lock.path.read_bytes()
    edited = compiled(tmp_path, ('expect: "> 0.5"', 'expect: "> 0.6"'))
    with pytest.raises(LockExists) as info:
        freeze(edited, edited.path, now=LATER, commit=COMMIT)
    message = str(info.value)
    assert str(lock.path) in message and "hypotheses.H1.expect" in message and "--amend" in message
    assert lock.path.read_bytes() == before


def test_amend_records_reason_and_changes_and_keeps_frozen_at(tmp_path):
    plan = compiled(tmp_path)
    original = freeze(plan, plan.path, now=NOW, commit=COMMIT)
    edited = compiled(tmp_path, ('expect: "> 0.5"', 'expect: "> 0.6"'))
    lock = amend(edited, edited.path, "  chance is 0.6 here  ", now=LATER, commit=COMMIT)
    assert lock.frozen_at == original.frozen_at and lock.hash != original.hash
    [a] = lock.amendments
    assert a["at"] == "2025-02-03T04:05:06Z" and a["reason"] == "chance is 0.6 here"
    assert a["previous_hash"] == original.hash and a["hash"] == lock.hash
    assert a["changes"] == ["hypotheses.H1.expect"]
    assert read_lock(plan.path) == lock
    # the amended lock now freezes the edited spec
    assert freeze(edited, edited.path, now=LATER, commit=COMMIT) == lock


def test_amend_needs_a_reason_and_a_lock(tmp_path):
    plan = compiled(tmp_path)
    with pytest.raises(LockError, match="no pre-registration to amend"):
        amend(plan, plan.path, "why", now=NOW, commit=COMMIT)
    freeze(plan, plan.path, now=NOW, commit=COMMIT)
    for reason in ("", "   ", None):
        with pytest.raises(LockError, match="needs a reason"):
            amend(plan, plan.path, reason, now=NOW, commit=COMMIT)


def test_amend_without_changes_records_nothing(tmp_path):
    plan = compiled(tmp_path)
    lock = freeze(plan, plan.path, now=NOW, commit=COMMIT)
    assert amend(plan, plan.path, "nothing", now=LATER, commit=COMMIT).amendments == []
    assert read_lock(plan.path) == lock


def test_no_lock_and_corrupt_lock(tmp_path):
    plan = compiled(tmp_path)
    assert read_lock(plan.path) is None
    (tmp_path / "lock-test.lock.json").write_text("{not json")
    with pytest.raises(LockError, match="lock-test.lock.json"):
        read_lock(plan.path)
    with pytest.raises(LockError):
        freeze(plan, plan.path, now=NOW, commit=COMMIT)


def test_commit_is_read_from_git_when_not_given(tmp_path):
    import subprocess
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    plan = compiled(tmp_path)
    lock = freeze(plan, plan.path, now=NOW)
    assert lock.commit is None  # no commit yet: HEAD does not resolve
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": __import__("os").environ["PATH"]}
    subprocess.run(["git", "-C", str(tmp_path), "add", "spec.yaml"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "commit", "-qm", "spec"], check=True, env=env)
    lock.path.unlink()
    lock = freeze(plan, plan.path, now=NOW)
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert lock.commit == head and lock.dirty is False
