"""`specc ci --since REF`: exactly the changed specs; invalid ones fail before anything runs;
new specs are frozen, locked specs run; configuration and plugins come from REF."""
from __future__ import annotations

import pytest

from git_repo import BAD, GOOD, commit_all, make_repo, sh
from test_cli_run import specc


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "lab")


def _add(repo, name, text=GOOD):
    (repo / f"specs/{name}.yaml").write_text(text.format(name=name))


@pytest.mark.slow
def test_ci_picks_exactly_the_changed_specs_and_runs_them(repo):
    _add(repo, "old")
    base = commit_all(repo, "an old spec")
    assert specc(repo, "prereg", "specs/old.yaml").returncode == 0
    commit_all(repo, "freeze old")
    since = sh(repo, "rev-parse", "HEAD").stdout.strip()

    # One new spec (no lock: frozen), one changed and locked spec (run), one untouched spec.
    _add(repo, "fresh")
    _add(repo, "locked")
    assert specc(repo, "prereg", "specs/locked.yaml").returncode == 0
    commit_all(repo, "two specs")

    ci = specc(repo, "ci", "--since", since, "--summary", "summary.md")
    assert ci.returncode == 0, ci.stdout + ci.stderr
    assert "2 spec(s) changed" in ci.stdout and "specs/old.yaml" not in ci.stdout.split("summary")[0]
    summary = (repo / "summary.md").read_text()
    assert "| `specs/fresh.yaml` | frozen |" in summary
    assert "| `specs/locked.yaml` | ran | ✅ H1 | 0 | [results.md](reports/locked/results.md) |" in summary
    assert "old.yaml" not in summary
    assert (repo / "specs/fresh.lock.json").exists() and (repo / "reports/fresh/preregistration.md").exists()
    assert (repo / "reports/locked/results.md").exists() and not (repo / "reports/fresh/results.md").exists()

    # Since the first commit, old.yaml changed too (it was added after `base`).
    again = specc(repo, "ci", "--since", base, "--summary", "summary.md")
    assert "3 spec(s) changed" in again.stdout, again.stdout + again.stderr


@pytest.mark.slow
def test_one_invalid_spec_fails_the_change_before_anything_runs(repo):
    since = sh(repo, "rev-parse", "HEAD").stdout.strip()
    _add(repo, "good")
    _add(repo, "bad", BAD)
    commit_all(repo, "good and bad")
    ci = specc(repo, "ci", "--since", since, "--summary", "summary.md")
    assert ci.returncode == 2
    assert "specs/bad.yaml:8:16:" in ci.stderr and "did you mean 'tiny.value'" in ci.stderr
    assert "| `specs/bad.yaml` | invalid |" in (repo / "summary.md").read_text()
    assert not (repo / "specs/good.lock.json").exists()          # nothing frozen or run


@pytest.mark.slow
def test_ci_trusts_the_base_refs_configuration_not_the_change(repo, tmp_path):
    since = sh(repo, "rev-parse", "HEAD").stdout.strip()
    outside = tmp_path / "secret.csv"
    outside.write_text("a\n1\n")
    # The change widens the data roots and reads a file outside the repository.
    (repo / "specc.toml").write_text(f'[data]\nroots = ["{tmp_path}"]\n[plugins]\nmodules = ["tiny_ops"]\n')
    _add(repo, "leak", GOOD.replace("conditions:", f"data:\n  secret: {{{{csv: {outside}}}}}\nconditions:"))
    commit_all(repo, "widen the roots")
    assert specc(repo, "validate", "specs/leak.yaml").returncode == 0      # the change's own config allows it
    ci = specc(repo, "ci", "--since", since, "--summary", "summary.md")
    assert ci.returncode == 2
    assert "specc.toml differs" in ci.stderr and "outside" in ci.stderr and "secret.csv" in ci.stderr


@pytest.mark.slow
def test_a_change_to_plugin_code_is_refused(repo):
    since = sh(repo, "rev-parse", "HEAD").stdout.strip()
    (repo / "specc.toml").write_text('[data]\nroots = []\n[plugins]\nmodules = ["labops"]\n')
    commit_all(repo, "list a plugin")
    since = sh(repo, "rev-parse", "HEAD").stdout.strip()
    (repo / "labops.py").write_text("import os  # new plugin code\n")
    _add(repo, "good")
    commit_all(repo, "plugin code and a spec")
    ci = specc(repo, "ci", "--since", since)
    assert ci.returncode == 2 and "plugin code changed in this change (labops)" in ci.stderr


def test_ci_outside_a_git_repository(tmp_path):
    ci = specc(tmp_path, "ci", "--since", "HEAD")
    assert ci.returncode == 2 and "specc ci: git" in ci.stderr
