"""A real git repository for the commit-to-run tests: specs, commits, staged files."""
from __future__ import annotations

import subprocess
from pathlib import Path

GOOD = """\
specc: 1
name: {name}
title: A CI spec
question: Are the values large?
conditions:
  x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
stages:
  values: {{op: tiny.value, over: [x], value: "${{x}}"}}
hypotheses:
  H1:
    statement: The values are above 2 on average.
    measure: mean(values.value)
    expect: "> 2"
    interval: {{method: percentile, unit: x, n_resamples: 1000}}
"""

# A misspelt op and a misspelt key: the compiler's file:line:col messages must reach the user.
BAD = GOOD.replace("op: tiny.value", "op: tiny.valeu")


def sh(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc


def make_repo(root: Path, plugins: tuple[str, ...] = ("tiny_ops",)) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    sh(root, "init", "-q", "-b", "main")
    sh(root, "config", "user.email", "t@example.org")
    sh(root, "config", "user.name", "Test")
    listed = ", ".join(f'"{p}"' for p in plugins)
    (root / "specc.toml").write_text(f"[data]\nroots = []\n[plugins]\nmodules = [{listed}]\n")
    (root / ".gitignore").write_text(".specc/\n")
    (root / "specs").mkdir()
    (root / "README.md").write_text("experiments\n")
    sh(root, "add", "-A")
    sh(root, "commit", "-q", "-m", "start")
    return root


def commit_all(repo: Path, message: str) -> str:
    sh(repo, "add", "-A")
    sh(repo, "commit", "-q", "-m", message)
    return sh(repo, "rev-parse", "HEAD").stdout.strip()


def committed_files(repo: Path, ref: str = "HEAD") -> set[str]:
    return set(sh(repo, "show", "--name-only", "--format=", ref).stdout.split())
