"""bench/scorer_throughput.py keeps working: its smallest size, timings not checked.
lm-eval is a bench extra, not a test dependency: the smoke run compares specc with the
naive loop, and their scores must agree."""
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench"


@pytest.mark.slow  # ~30-60 s on 2 cores: a tokenizer, then two subprocesses scoring 72 requests
def test_scorer_throughput_runs_and_scores_agree(tmp_path):
    result = subprocess.run([sys.executable, str(BENCH / "scorer_throughput.py"), "--pairs", "1",
                             "--methods", "specc,naive", "--workdir", str(tmp_path)],
                            capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert {"specc", "naive"} <= set(rows), result.stdout
    assert "72 requests" in result.stdout
    assert "(goal < 1e-4: met)" in result.stdout, result.stdout
