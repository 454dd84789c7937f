"""Progress of a run: a live rich table in a terminal, plain log lines otherwise (CI).

Per stage: tasks done, running, failed, skipped and found in the cache, elapsed
time and an ETA from the mean time of the tasks of that stage finished so far.
Plain mode prints failures and retries as they happen, a line when a stage
completes (with why its tasks were skipped: a closed gate, an upstream failure),
and a heartbeat every `heartbeat` seconds: readable in a CI log without a line
per task. The live table shows that reason in its `note` column.

Running tasks that report progress (`ctx.progress`) get a row of their own under
their stage in the live table — step of total, current metrics, the task's own ETA —
and in plain mode a line each at most every `task_every` seconds.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.table import Table


@dataclass
class StageProgress:
    total: int
    cached: int = 0
    done: int = 0
    running: int = 0
    failed: int = 0
    skipped: int = 0
    started: float | None = None
    seconds: list[float] = field(default_factory=list)
    skip_reason: str | None = None   # why its (first) skipped task was skipped

    @property
    def finished(self) -> int:
        return self.cached + self.done + self.failed + self.skipped

    def eta(self, workers: int) -> float | None:
        left = self.total - self.finished
        if not left or not self.seconds:
            return 0.0 if not left else None
        return left * (sum(self.seconds) / len(self.seconds)) / max(workers, 1)


class Progress:
    def __init__(self, plan, console: Console, live: bool | None = None, heartbeat: float = 10.0,
                 task_every: float = 30.0):
        self.plan = plan
        self.console = console
        self.live_mode = console.is_terminal if live is None else live
        self.heartbeat = heartbeat
        self.t0 = time.time()
        self.last_beat = self.t0
        self.stages = {name: StageProgress(st.count) for name, st in plan.stages.items()}
        self._live: Live | None = None
        self.task_every = task_every
        self.running: dict[int, float] = {}          # task -> when it started
        self.reports: dict[int, dict] = {}           # task -> its latest progress
        self.reported: dict[int, float] = {}         # task -> when plain mode last printed it

    # -- lifecycle --------------------------------------------------------------------

    def __enter__(self) -> "Progress":
        if self.live_mode:
            self._live = Live(self._table(), console=self.console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(*exc)

    def cached(self, stage: str, n: int) -> None:
        self.stages[stage].cached += n

    # -- events from the scheduler ----------------------------------------------------

    def event(self, kind: str, i: int, info: dict) -> None:
        if kind == "tick":  # the scheduler's loop: keeps the view and heartbeat alive
            self._tick()
            return
        task = self.plan.tasks[i]
        sp = self.stages[task.stage]
        if kind == "progress":
            self._progress(i, info)
            return
        if kind != "started":
            self.running.pop(i, None)
            self.reports.pop(i, None)
        if kind == "started":
            self.running[i] = time.time()
            sp.running += 1
            sp.started = sp.started or time.time()
        elif kind == "retry":
            sp.running -= 1
            self._line(f"retry  {task.id}: {info.get('error')}", style="yellow")
        elif kind == "succeeded":
            sp.running -= 1
            sp.done += 1
            sp.seconds.append(info.get("ended", 0) - info.get("started", 0))
        elif kind == "failed":
            sp.running -= 1
            sp.failed += 1
            self._line(f"FAILED {task.id}: {info.get('error')}", style="red")
        elif kind == "skipped":
            sp.skipped += 1
            sp.skip_reason = sp.skip_reason or info.get("reason")
        if kind in ("succeeded", "failed", "skipped") and sp.finished == sp.total and not self.live_mode:
            self._line(f"stage {task.stage}: {self._summary(sp)}")
        self._tick()

    def _progress(self, i: int, report: dict) -> None:
        self.reports[i] = report
        now = time.time()
        if self._live is None and now - self.reported.get(i, -math.inf) >= self.task_every:
            self.reported[i] = now
            self._line(f"  {self.plan.tasks[i].id}: {progress_text(report, now)}")
        self._tick()

    def _tick(self) -> None:
        now = time.time()
        if self._live is not None:
            if now - self.last_beat > 0.25:
                self._live.update(self._table())
                self.last_beat = now
        elif now - self.last_beat >= self.heartbeat:
            self.last_beat = now
            total = sum(s.total for s in self.stages.values())
            finished = sum(s.finished for s in self.stages.values())
            running = sum(s.running for s in self.stages.values())
            self._line(f"[{now - self.t0:6.0f}s] {finished}/{total} tasks finished, {running} running")

    def _line(self, text: str, style: str | None = None) -> None:
        if self._live is not None:
            self._live.console.print(text, style=style, markup=False)
        else:
            self.console.print(text, style=style, markup=False, highlight=False)

    # -- rendering --------------------------------------------------------------------

    @staticmethod
    def _summary(sp: StageProgress) -> str:
        parts = [f"{sp.done} ran", f"{sp.cached} cached"]
        parts += [f"{sp.failed} failed"] if sp.failed else []
        parts += [f"{sp.skipped} skipped"] if sp.skipped else []
        why = f" — skipped: {sp.skip_reason}" if sp.skipped and sp.skip_reason else ""
        return ", ".join(parts) + f" of {sp.total}" + why

    def _table(self) -> Table:
        table = Table(title=f"{self.plan.spec.name} — {time.time() - self.t0:.0f}s")
        for col in ("stage", "done", "running", "cached", "failed", "skipped", "total", "elapsed", "ETA", "note"):
            table.add_column(col, justify="left" if col in ("stage", "note") else "right")
        for name, sp in self.stages.items():
            elapsed = f"{time.time() - sp.started:.0f}s" if sp.started else "-"
            eta = sp.eta(max(sp.running, 1))
            table.add_row(name, str(sp.done), str(sp.running), str(sp.cached), str(sp.failed),
                          str(sp.skipped), str(sp.total), elapsed,
                          "-" if eta is None else f"{eta:.0f}s", sp.skip_reason or "")
            for i, started in self.running.items():
                task = self.plan.tasks[i]
                if task.stage != name:
                    continue
                report = self.reports.get(i)
                task_eta = progress_eta(report, time.time()) if report else None
                table.add_row(f"  {task.id.partition('/')[2] or task.id}", "", "", "", "", "", "",
                              f"{time.time() - started:.0f}s", "-" if task_eta is None else f"{task_eta:.0f}s",
                              progress_text(report, None) if report else "started")
        return table


def progress_eta(report: dict, now: float) -> float | None:
    """Seconds left for a task at its reported rate, counted from `now`."""
    step, total, rate = report.get("step"), report.get("total"), report.get("rate")
    if not rate or total is None or step is None:
        return None
    return max(0.0, (total - step) / rate - (now - report.get("at", now)))


def progress_text(report: dict, now: float | None) -> str:
    """`step 120/300 (40%) · loss 3.21 · tokens_per_s 9160 · ETA 52s` (no ETA when `now` is None)."""
    step, total = report.get("step"), report.get("total")
    parts = [f"step {_short(step)}" + (f"/{_short(total)} ({100 * step / total:.0f}%)"
                                       if total and step is not None else "")]
    parts += [f"{k} {_short(v)}" for k, v in (report.get("metrics") or {}).items() if v is not None]
    eta = progress_eta(report, now) if now is not None else None
    if eta is not None:
        parts.append(f"ETA {eta:.0f}s")
    return " · ".join(parts)


def _short(value) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4g}"
    return str(value)
