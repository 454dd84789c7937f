"""The installed package is the one that runs: with a regular (non-editable) install,
`specc run` from inside the project checkout must not make Ray workers import the
checkout's own `specc/` folder (which lacks the subpackages `package-dir` maps in)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
PLUGINS = CHECKOUT / "tests" / "plugins"
SPEC = """\
specc: 1
name: installed
title: Installed package
question: Do workers import the installed package?
conditions:
  x: [1, 2]
stages:
  values: {op: tiny.value, over: [x], value: "${x}"}
  total: {op: tiny.sum, of: values}
"""


@pytest.mark.slow
def test_run_from_the_checkout_with_a_non_editable_install(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    # A wheel built from the checkout (with the base interpreter's setuptools: a venv's bundled
    # one may be too old to build wheels), installed as a copy.
    builder = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([builder, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(CHECKOUT)], check=True, cwd=tmp_path, capture_output=True)
    wheel, = (tmp_path / "dist").glob("specc-*.whl")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True,
                   cwd=tmp_path, capture_output=True)
    installed = subprocess.run([str(python), "-c", "import specc.runtime, specc; print(specc.__file__)"],
                               cwd=tmp_path, check=True, capture_output=True, text=True).stdout.strip()
    assert installed.startswith(str(venv)), installed          # a copy, not the checkout
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "spec.yaml").write_text(SPEC)
    env = {**os.environ, "SPECC_PLUGINS": "tiny_ops", "PYTHONPATH": str(PLUGINS), "SPECC_DEBUG": ""}
    done = subprocess.run([str(venv / "bin" / "specc"), "run", str(project / "spec.yaml"), "--plain"],
                          cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout, done.stderr)   # today: every worker dies importing specc
    assert "3 succeeded" in done.stdout, done.stdout
