"""provenance(): hashes, git state, image, versions, seeds and hardware of a run."""
from __future__ import annotations

import json
import platform
import subprocess

from specc.report.provenance import git_state, provenance


def test_provenance_outside_a_git_repository(tiny_plan, monkeypatch):
    monkeypatch.setenv("SPECC_IMAGE_DIGEST", "sha256:abc")
    prov = provenance(tiny_plan, {"hash": "lockhash"})
    assert prov["spec_hash"] == tiny_plan.spec_hash and prov["lock_hash"] == "lockhash"
    assert (prov["git_commit"], prov["git_dirty"]) == (None, None)  # .git is an empty folder
    assert prov["image_digest"] == "sha256:abc"
    assert prov["seeds"] == {"spec": 7, "axis": [2, 10]}
    assert prov["python"] == platform.python_version()
    assert prov["packages"]["specc"] and set(prov["packages"]) >= {"torch", "pandas", "statsmodels"}
    assert prov["hardware"]["cpus"] >= 1 and isinstance(prov["hardware"]["gpus"], list)
    json.dumps(prov, allow_nan=False)  # stored in results.json as is


def test_no_lock_no_image(tiny_plan, monkeypatch):
    monkeypatch.delenv("SPECC_IMAGE_DIGEST", raising=False)
    prov = provenance(tiny_plan, None)
    assert prov["lock_hash"] is None and prov["image_digest"] is None


def test_git_commit_and_dirty_flag(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)
    git("init", "-q")
    (tmp_path / "a.txt").write_text("one")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert git_state(tmp_path) == (head, False)
    (tmp_path / "a.txt").write_text("two")
    assert git_state(tmp_path) == (head, True)
