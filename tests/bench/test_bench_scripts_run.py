"""Benchmarks are not timed tests, but they must keep working: run each at its smallest size."""
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench"


def test_compile_scale_runs_and_counts_tasks():
    result = subprocess.run([sys.executable, str(BENCH / "compile_scale.py"), "--sizes", "1000", "--repeat", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0].split()[:2] == ["tasks", "median"]
    assert int(rows[1].split()[0]) == 1015  # 1 tokenizer + 6 pretrain + 6 x 12 checkpoints x 14 layers


@pytest.mark.slow  # ~55-65 s on 2 cores: three embedded Ray start-ups
def test_runtime_overhead_runs_all_three_benchmarks():
    """Tiny sizes, one repeat: every benchmark runs (on a real embedded Ray) and prints its
    rows and its goal; the timings themselves are not checked."""
    result = subprocess.run([sys.executable, str(BENCH / "runtime_overhead.py"), "--tasks", "20", "--repeat", "1"],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    labels = [line.split()[0] for line in lines if line.strip()]
    for label in ("bare_ray", "specc_compile", "specc_run_plan", "specc_total", "ratio",
                  "cold_run", "first_run", "noop_rerun"):
        assert label in labels, result.stdout
    goals = [line for line in lines if line.startswith("goal: ")]
    assert len(goals) == 3 and all(line.endswith((": met", ": NOT MET")) for line in goals), result.stdout
    assert "0 tasks executed" in result.stdout


def test_verdict_bootstrap_runs_and_agrees_with_naive():
    """The bench asserts specc's batched resamples equal the materialised pandas ones."""
    result = subprocess.run([sys.executable, str(BENCH / "verdict_bootstrap.py"), "--items", "60",
                             "--resamples", "200", "--naive", "5"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()[2:]] == ["mean", "diff_means"]


def test_generate_throughput_runs_with_identical_greedy_texts():
    """The bench fails (exit 1) if eval.generate's greedy texts differ from the loop's."""
    result = subprocess.run([sys.executable, str(BENCH / "generate_throughput.py"), "--quick"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "identical greedy texts: 8/8" in result.stdout
    assert [line.split()[0] for line in result.stdout.splitlines()[2:4]] == ["specc", "naive"]


def test_pretrain_memory_runs_at_its_smallest_size():
    """Two small corpora, a few steps: the bench packs, streams, trains and reports its goal."""
    result = subprocess.run([sys.executable, str(BENCH / "pretrain_memory.py"), "--tokens", "100000", "200000",
                             "--steps", "2"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()
            if line.startswith("streamed ") and not line.startswith("streamed peak")]
    tokens = [int(r[1].replace(",", "")) for r in rows]
    assert len(tokens) == 2 and abs(tokens[0] - 100_000) <= 1 and abs(tokens[1] - 200_000) <= 1
    assert "goal flat" in result.stdout
