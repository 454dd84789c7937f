"""bench/pretrain_throughput.py keeps working: its smallest size, timings not checked."""
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench"


@pytest.mark.slow  # ~15-30 s on 2 cores: a tokenizer, then both sides' imports and a few steps
def test_pretrain_throughput_runs_both_sides():
    result = subprocess.run([sys.executable, str(BENCH / "pretrain_throughput.py"), "--quick"],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    labels = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    for label in ("loop", "trainer", "ratio"):
        assert label in labels, result.stdout
    goals = [line for line in result.stdout.splitlines() if line.startswith("goal: ")]
    # the loop-vs-Trainer goal and the per-step monitor's overhead goal, each judged
    assert [g.split(":")[1].strip().split()[0] for g in goals] == ["loop", "progress"], result.stdout
    assert all(g.endswith((": met", ": NOT MET")) for g in goals), result.stdout
