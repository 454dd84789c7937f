"""A finished spec re-run is cheap: it starts no Ray and imports neither torch nor
transformers (they cost seconds; the verdicts and the report need neither)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

SPEC = """\
specc: 1
name: noop-imports
title: No-op imports
question: Does a finished run re-run without the heavy libraries?
conditions:
  x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
stages:
  values: {op: tiny.value, over: [x], value: "${x}"}
hypotheses:
  H1:
    statement: The values are large.
    measure: mean(values.value)
    expect: "> 2"
    interval: {method: percentile, unit: x, n_resamples: 1000}
"""

PROBE = """
import sys
sys.argv = ["specc", "run", "spec.yaml", "--plain"]
from specc.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print("LOADED", sorted(m for m in ("torch", "transformers", "ray", "datasets", "trl") if m in sys.modules))
"""


@pytest.mark.slow
def test_a_cached_rerun_imports_no_ml_library(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "spec.yaml").write_text(SPEC)
    env = {**os.environ, "COLUMNS": "200"}
    first = subprocess.run([sys.executable, "-m", "specc", "run", "spec.yaml", "--plain"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    again = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to run" in again.stdout and "H1: supported" in again.stdout
    assert "LOADED []" in again.stdout, again.stdout
