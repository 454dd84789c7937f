"""The probe benchmarks keep working: each at its smallest size (timings not checked)."""
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench"


def test_logit_lens_passes_agree_and_report():
    result = subprocess.run([sys.executable, str(BENCH / "logit_lens_passes.py"), "--quick"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "per_layer / one_pass" in result.stdout and "one_pass" in result.stdout


@pytest.mark.slow  # two fresh processes, each training a tokenizer and running the op
def test_activation_memory_benchmark_runs():
    result = subprocess.run([sys.executable, str(BENCH / "probe_activations_memory.py"), "--quick"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    assert "peak growth from 50 to 200 prompts" in result.stdout
