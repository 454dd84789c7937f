"""SPECC_PLUGINS: ops of one's own join the registry before it freezes, never replacing a built-in."""
from __future__ import annotations

import os
import subprocess
import sys


def _specc_ops(tmp_path, module_text: str | None, plugins: str) -> subprocess.CompletedProcess:
    if module_text is not None:
        (tmp_path / "labops.py").write_text(module_text)
    env = {**os.environ, "SPECC_PLUGINS": plugins, "PYTHONPATH": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "specc", "ops"], env=env, capture_output=True, text=True,
                          timeout=120)


GOOD = """
from specc.ops import Cost, Op, OpParams
class Params(OpParams):
    n: int = 1
OP = Op("lab.count", 1, Params, "table", lambda p, c: Cost(), "Count things.")
"""


def test_a_plugin_op_is_listed(tmp_path):
    result = _specc_ops(tmp_path, GOOD, "labops")
    assert result.returncode == 0, result.stderr
    assert "lab.count" in result.stdout and "train.pretrain" in result.stdout


def test_a_missing_plugin_module_is_a_clear_error(tmp_path):
    result = _specc_ops(tmp_path, None, "no_such_module")
    assert result.returncode == 2
    assert "SPECC_PLUGINS: cannot import plugin module 'no_such_module'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_plugin_cannot_replace_a_builtin_op(tmp_path):
    result = _specc_ops(tmp_path, GOOD.replace("lab.count", "train.pretrain"), "labops")
    assert result.returncode == 2
    assert "plugin op 'train.pretrain' would replace a registered op" in result.stderr


def test_plugin_op_names_need_a_dot(tmp_path):
    result = _specc_ops(tmp_path, GOOD.replace("lab.count", "count"), "labops")
    assert result.returncode == 2 and "dotted name" in result.stderr
