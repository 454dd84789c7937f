"""`specc tensorboard RUN`: a logdir of links named by task id, to each task's event files
(the artifact's once committed, the resume folder's for a failed task), readable by
TensorBoard's event reader."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from specc.cli import app
from specc.runtime.metrics import read_scalars

pytestmark = pytest.mark.usefixtures("ray_session")

SPEC = """\
conditions:
  x: [1, 2]
stages:
  slow:
    op: tiny.progress
    over: [x]
    steps: 4
    step_seconds: 0
  broken:
    op: tiny.progress
    steps: 5
    step_seconds: 0
    fail_at: 3
  plain:
    op: tiny.value
"""


def test_tensorboard_links_every_task_that_wrote_events(project):
    _, result = project.run(SPEC)
    shown = CliRunner().invoke(app, ["tensorboard", "--print", "--in", str(project.root)])
    assert shown.exit_code == 0, shown.output
    logdir = project.root / ".specc" / "runs" / result.run_id / "tensorboard"
    assert f"events of 3 task(s) linked under {logdir}" in shown.output
    assert f"tensorboard --logdir {logdir} --port 6006" in shown.output

    for x in (1, 2):
        link = logdir / "slow" / f"x={x}"
        assert link.is_symlink() and "/.resume/" not in str(link.resolve())   # the committed artifact
        scalars = read_scalars(link)
        assert scalars["train/loss"] == [(s, pytest.approx(1 / s)) for s in range(1, 5)]
        assert [v for _, v in scalars["train/lr"]] == pytest.approx([0.1] * 4)
    failed = logdir / "broken"
    assert "/.resume/" in str(failed.resolve())   # kept for a failed task, from its resume folder
    assert [s for s, _ in read_scalars(failed)["train/loss"]] == [1, 2, 3]
    assert not (logdir / "plain").exists()
    # the whole logdir reads as one TensorBoard run per task
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
    mux = EventMultiplexer().AddRunsFromDirectory(str(logdir))
    assert sorted(mux.Runs()) == ["broken", "slow/x=1", "slow/x=2"]
