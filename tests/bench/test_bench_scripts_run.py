"""Benchmarks are not timed tests, but they must keep working: run each at its smallest size."""
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench"


def test_compile_scale_runs_and_counts_tasks():
    result = subprocess.run([sys.executable, str(BENCH / "compile_scale.py"), "--sizes", "1000", "--repeat", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0].split()[:2] == ["tasks", "median"]
    assert int(rows[1].split()[0]) == 1015  # 1 tokenizer + 6 pretrain + 6 x 12 checkpoints x 14 layers
