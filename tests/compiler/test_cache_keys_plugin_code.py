"""A plugin op's source is in its cache key: editing it without a version bump is a miss."""
import json
import os
import subprocess
import sys
from pathlib import Path

PLUGIN = '''
import pandas as pd
from pydantic import Field
from specc.ops import Cost, Op, OpParams

class Params(OpParams):
    value: float = Field(0.0)

def run(params, ctx):
    return pd.DataFrame({"value": [params.value * FACTOR]})

FACTOR = FACTOR_VALUE
OP = Op("lab.scaled", 1, Params, "table", lambda p, c: Cost(), "Scaled value.", run=run)
'''
SPEC = """\
specc: 1
name: plugin-code
title: Plugin code
question: Is the plugin's code in the key?
stages:
  scaled: {op: lab.scaled, value: 2}
"""


def plan_keys(tmp_path: Path) -> tuple[str, str]:
    env = {**os.environ, "SPECC_PLUGINS": "lab_plugin",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "specc", "plan", str(tmp_path / "spec.yaml"), "--json"],
                          capture_output=True, text=True, env=env, check=True)
    task, = json.loads(done.stdout)["tasks"]
    return task["key"], task.get("parts", {}).get("op", "")


def test_editing_a_plugin_changes_its_keys(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "spec.yaml").write_text(SPEC)
    plugin = tmp_path / "lab_plugin.py"
    plugin.write_text(PLUGIN.replace("FACTOR_VALUE", "1"))
    first, _ = plan_keys(tmp_path)
    assert plan_keys(tmp_path)[0] == first          # same code: same key
    plugin.write_text(PLUGIN.replace("FACTOR_VALUE", "10"))      # same version 1, different behaviour
    second, _ = plan_keys(tmp_path)
    assert second != first
