"""alpha as an axis of the design: `alphas: [${alpha}]` gives one steering task per value."""
from __future__ import annotations

from op_runner import OpRun
from probe_spec import DIRECTIONS, spec

STAGES = DIRECTIONS + """\
  steer:
    op: probe.steer
    over: [alpha]
    model: tiny
    tokenizer: tok
    directions: dirs
    layers: [2]
    alphas: ["${alpha}"]
    items: pairs.use
    good: sentence_good
    bad: sentence_bad
"""


def test_alpha_axis_makes_one_task_per_value(tmp_path):
    text = spec(STAGES).replace("stages:\n", "conditions: {alpha: [0.0, 8.0]}\nstages:\n", 1)
    run = OpRun(tmp_path, text)
    tasks = run.tasks("steer")
    assert [t.id for t in tasks] == ["steer/alpha=0.0", "steer/alpha=8.0"]
    assert [t.combo for t in tasks] == [(0.0,), (8.0,)]     # the axis value each task's alphas take
    assert tasks[0].key != tasks[1].key
