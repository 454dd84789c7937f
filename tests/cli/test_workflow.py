"""The GitHub Actions workflow: valid YAML, the same one `specc init` writes, and every
specc command and option it runs exists."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer.main
import yaml

from specc.cli import app
from specc.cli_ci import PROJECT_INSTALL, WORKFLOW_PATH, workflow_text
from git_repo import make_repo
from test_cli_run import specc

ROOT = Path(__file__).resolve().parents[2]


def _runs(workflow: dict) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]


def test_project_workflow_is_the_one_init_writes():
    assert (ROOT / WORKFLOW_PATH).read_text() == workflow_text(PROJECT_INSTALL)


def test_workflow_is_valid_and_calls_only_real_commands():
    workflow = yaml.safe_load((ROOT / WORKFLOW_PATH).read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]   # YAML 1.1 reads `on` as true
    assert set(triggers) == {"push", "pull_request"}
    assert all("specs/**" in t["paths"] for t in triggers.values())
    assert "pull_request_target" not in triggers
    group = typer.main.get_command(app)
    calls = [line for run in _runs(workflow) for line in run.splitlines() if re.search(r"\bspecc\s", line)]
    assert any(" ci " in f" {c} " for c in calls)
    for line in calls:
        words = shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "X", line.split("&&")[-1].strip()))
        assert words[0] == "specc", line
        command = group.commands[words[1]]
        options = {o for p in command.params for o in getattr(p, "opts", ()) if o.startswith("--")}
        for word in words[2:]:
            if word.startswith("--"):
                assert word in options, f"{line}: {word} is not an option of specc {words[1]}"


def test_init_writes_the_workflow_into_a_users_repository(tmp_path):
    repo = make_repo(tmp_path / "lab")
    (repo / "specc.toml").unlink()
    done = specc(repo, "init", "--install", "pip install specc==0.1.0")
    assert done.returncode == 0, done.stderr
    written = (repo / WORKFLOW_PATH).read_text()
    assert "run: pip install specc==0.1.0" in written and "__INSTALL__" not in written
    assert "[plugins]" in (repo / "specc.toml").read_text()
    again = specc(repo, "init")
    assert again.returncode == 1 and "exists" in again.stderr
