"""`specc hook install`: committing an invalid spec is refused with file:line, and a valid
one is committed together with its lock and pre-registration report."""
from __future__ import annotations

import pytest

from git_repo import BAD, GOOD, committed_files, make_repo, sh
from test_cli_run import specc


@pytest.fixture
def repo(tmp_path):
    repo = make_repo(tmp_path / "lab")
    installed = specc(repo, "hook", "install")
    assert installed.returncode == 0, installed.stderr
    assert (repo / ".git/hooks/pre-commit").stat().st_mode & 0o111
    return repo


@pytest.mark.slow
def test_invalid_spec_blocks_the_commit(repo):
    (repo / "specs/bad.yaml").write_text(BAD.format(name="bad"))
    sh(repo, "add", "specs/bad.yaml")
    commit = sh(repo, "commit", "-m", "add a bad spec", check=False)
    assert commit.returncode != 0
    assert "specs/bad.yaml:8:16:" in commit.stderr and "unknown op 'tiny.valeu'" in commit.stderr
    assert "commit blocked" in commit.stderr
    assert sh(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"   # nothing committed


@pytest.mark.slow
def test_valid_spec_is_committed_with_its_preregistration(repo):
    (repo / "specs/good.yaml").write_text(GOOD.format(name="good"))
    (repo / "notes.txt").write_text("not a spec\n")
    sh(repo, "add", "specs/good.yaml", "notes.txt")
    commit = sh(repo, "commit", "-m", "add a spec", check=False)
    assert commit.returncode == 0, commit.stderr
    files = committed_files(repo)
    assert files == {"specs/good.yaml", "notes.txt", "specs/good.lock.json", "reports/good/preregistration.md"}
    assert sh(repo, "status", "--porcelain").stdout == ""          # nothing left behind unstaged

    # Committing the spec again unchanged leaves the lock alone; a changed threshold is warned
    # about (runs report the deviation) but never silently re-frozen.
    (repo / "specs/good.yaml").write_text(GOOD.format(name="good").replace('"> 2"', '"> 3"'))
    sh(repo, "add", "specs/good.yaml")
    second = sh(repo, "commit", "-m", "raise the threshold", check=False)
    assert second.returncode == 0, second.stderr
    assert "differs from good.lock.json" in second.stderr
    assert committed_files(repo) == {"specs/good.yaml"}


@pytest.mark.slow
def test_partially_staged_spec_is_refused(repo):
    spec = repo / "specs/good.yaml"
    spec.write_text(GOOD.format(name="good"))
    sh(repo, "add", "specs/good.yaml")
    spec.write_text(GOOD.format(name="good") + "# unstaged edit\n")
    commit = sh(repo, "commit", "-m", "partial", check=False)
    assert commit.returncode != 0 and "stage every change" in commit.stderr


def test_foreign_hook_is_not_overwritten(tmp_path):
    repo = make_repo(tmp_path / "lab")
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho mine\n")
    refused = specc(repo, "hook", "install")
    assert refused.returncode == 1 and "is not specc's" in refused.stderr
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
