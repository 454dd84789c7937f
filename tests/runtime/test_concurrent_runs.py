"""Two `specc run`s of one spec on one store at once never execute the same key twice: a
worker takes the key's lease (a file lock beside it) and finds the other run's artifact."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from runtime_helpers import Project, fan_in


@pytest.mark.slow
def test_concurrent_runs_execute_each_key_once(tmp_path):
    project = Project(tmp_path)
    spec = project.write(fan_in("1, 2, 3", values="    sleep: 2\n    log: {log}\n", total="    log: {log}\n"))
    env = {**os.environ, "TINY_OPS_DIR": str(project.root)}
    runs = [subprocess.Popen([sys.executable, "-m", "specc", "run", str(spec), "--plain"], cwd=project.root,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]
    outputs = [r.communicate(timeout=600)[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    ran = Counter(key for key, *_ in project.executions("ran"))
    assert len(ran) == 4 and set(ran.values()) == {1}, ran   # 3 values + 1 total, once each
