"""Measure functions of your own: a module named in SPECC_MEASURE_PLUGINS with a
`MEASURES` list, registered like built-ins (compiled, evaluated, resampled)."""
import json
import subprocess
import sys
import textwrap

PLUGIN = '''
import numpy as np
from specc.measures import function

def _geo(call, p):                      # exp of the mean log, rows weighted by their unit
    cells = p.cells(call.args[0])
    p.record(cells)
    values = np.log(cells.values)
    return lambda ext: np.exp(np.average(np.broadcast_to(values, (ext.shape[0], values.size)),
                                         axis=1, weights=ext[:, cells.row_unit]))

MEASURES = [function("geomean", 1, "aggregate", "Geometric mean of the column.", _geo)]
'''

SCRIPT = '''
import json, pandas as pd
from scipy import stats
from specc.compiler.measure import parse_measure
from specc.verdicts import FrameTables, PreparedMeasure
frame = pd.DataFrame({"item": [0, 1, 2, 3], "x": [1.0, 2.0, 4.0, 8.0]})
got = PreparedMeasure(parse_measure("geomean(s.x)"), FrameTables({"s": frame}), "item").estimate()
print(json.dumps({"got": got, "want": float(stats.gmean(frame.x))}))
'''


def _run(tmp_path, plugin_text, env_extra):
    (tmp_path / "mylab_measures.py").write_text(textwrap.dedent(plugin_text))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), **env_extra}
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                          timeout=120)


def test_a_plugin_function_is_parsed_and_evaluated(tmp_path):
    done = _run(tmp_path, PLUGIN, {"SPECC_MEASURE_PLUGINS": "mylab_measures"})
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert abs(out["got"] - out["want"]) < 1e-12


def test_a_plugin_cannot_replace_a_builtin(tmp_path):
    done = _run(tmp_path, PLUGIN.replace('"geomean"', '"mean"'), {"SPECC_MEASURE_PLUGINS": "mylab_measures"})
    assert done.returncode != 0
    assert "plugin measure function 'mean' would replace a registered one" in done.stderr
