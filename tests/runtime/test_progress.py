"""Progress: plain lines for CI logs, a live table in a terminal (no Ray needed)."""
from __future__ import annotations

import io

from rich.console import Console

from specc.compiler import compile_spec
from specc.runtime.progress import Progress

from runtime_helpers import fan_in

SPEC = fan_in()


def _events(progress: Progress) -> None:
    progress.cached("values", 1)
    progress.event("started", 1, {"attempt": 1})
    progress.event("succeeded", 1, {"started": 10.0, "ended": 12.0})
    progress.event("started", 2, {"attempt": 1})
    progress.event("retry", 2, {"error": "worker died: ActorDiedError"})
    progress.event("started", 2, {"attempt": 2})
    progress.event("failed", 2, {"error": "ValueError: boom"})


def test_plain_mode_prints_failures_retries_and_finished_stages(project):
    plan = compile_spec(project.write(SPEC))
    buffer = io.StringIO()
    with Progress(plan, Console(file=buffer, width=200), live=False) as progress:
        _events(progress)
    assert buffer.getvalue().splitlines() == [
        "stage values: 1 ran, 1 cached of 2",
        "retry  total: worker died: ActorDiedError",
        "FAILED total: ValueError: boom",
        "stage total: 0 ran, 0 cached, 1 failed of 1"]


def test_live_mode_renders_a_table_per_stage(project):
    plan = compile_spec(project.write(SPEC))
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, force_terminal=True)
    with Progress(plan, console, live=True) as progress:
        _events(progress)
    text = buffer.getvalue()
    assert "values" in text and "total" in text and "ETA" in text


def test_skipped_tasks_are_shown_with_why(project):
    plan = compile_spec(project.write(SPEC))
    reason = 'gate "H1 is supported" closed: H1 is refuted'
    buffer = io.StringIO()
    with Progress(plan, Console(file=buffer, width=200), live=False) as progress:
        progress.event("skipped", 2, {"reason": reason})
    assert buffer.getvalue().splitlines() == [f"stage total: 0 ran, 0 cached, 1 skipped of 1 — skipped: {reason}"]
    live = io.StringIO()
    with Progress(plan, Console(file=live, width=200, force_terminal=True), live=True) as progress:
        progress.event("skipped", 2, {"reason": reason})
    assert "note" in live.getvalue() and reason in live.getvalue()


def test_running_tasks_get_progress_rows_with_their_own_eta(project):
    import time
    plan = compile_spec(project.write(SPEC))
    live = io.StringIO()
    now = time.time()
    report = {"at": now, "step": 30, "total": 120, "rate": 3.0, "metrics": {"loss": 2.5, "tokens_per_s": 9160.0}}
    with Progress(plan, Console(file=live, width=200, force_terminal=True), live=True) as progress:
        progress.event("started", 1, {"attempt": 1})
        progress.event("progress", 1, report)
        table = progress._table()
    buffer = io.StringIO()
    Console(file=buffer, width=200).print(table)
    row = next(line for line in buffer.getvalue().splitlines() if "x=2" in line)
    assert "step 30/120 (25%) · loss 2.5 · tokens_per_s 9160" in row
    assert " 30s " in row   # its own ETA: 90 steps left at 3 steps/s


def test_plain_mode_prints_a_task_at_most_every_task_every_seconds(project):
    import time
    plan = compile_spec(project.write(SPEC))
    buffer = io.StringIO()
    with Progress(plan, Console(file=buffer, width=200), live=False, task_every=3600) as progress:
        progress.event("started", 1, {"attempt": 1})
        for step in range(1, 50):
            progress.event("progress", 1, {"at": time.time(), "step": step, "total": 50, "rate": None,
                                           "metrics": {}})
    lines = [ln for ln in buffer.getvalue().splitlines() if "step" in ln]
    assert lines == ["  values/x=2: step 1/50 (2%)"]   # the first report, then nothing for an hour
