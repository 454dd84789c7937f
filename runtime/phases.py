"""Gates and phases: what may run, and which hypotheses can be decided, given the verdicts so far.

Pure bookkeeping, no Ray: `run_plan` drives it (runtime/run.py) and tests call it directly.

* A stage's effective gates are its own `when:` and those of every stage upstream of it
  (a stage reading a skipped stage cannot run either). A gate is *pending* until the
  hypothesis it names has a verdict, then *open* or *closed*; a gate on a hypothesis that
  was not tested is closed. A task runs only when every gate of its stage is open.
* A task found in the store (a hit) counts as finished, `cached`, only once its stage's
  gates open; when one closes it is skipped like the tasks that never ran.
* A hypothesis is decidable once its own gate is open and every task of every stage it
  reads has finished (succeeded, cached, failed or skipped). When its gate closes it is
  not tested, and is never passed to the judge.
* A task whose input failed or was skipped is skipped too ("upstream <task> failed"),
  in whatever phase it would have run.

The loop (run.py): settle(); then, phase by phase, run `runnable()`, judge `decidable()`,
`decide()` their verdicts and settle() again, until a phase has nothing to run or judge.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from specc.compiler.gates import NOT_TESTED, Gate, GateState

FINISHED = ("succeeded", "cached", "failed", "skipped")

OPEN, CLOSED, PENDING = "open", "closed", "pending"


def stage_gates(plan) -> dict[str, tuple[Gate, ...]]:
    """Each stage's effective gates: those of its upstream stages (recursively, upstream
    first), then its own `when:`; each gate once."""
    out: dict[str, tuple[Gate, ...]] = {}

    def gates(name: str, seen: tuple[str, ...] = ()) -> tuple[Gate, ...]:
        if name in out:
            return out[name]
        st = plan.stages[name]
        found: list[Gate] = []
        for up in st.upstream:
            if up in plan.stages and up not in seen:
                found += gates(up, seen + (name,))
        if name in plan.stage_gates:
            found.append(plan.stage_gates[name])
        out[name] = tuple(dict.fromkeys(found))
        return out[name]

    for name in plan.stages:
        gates(name)
    return out


def hypothesis_gates(plan) -> dict[str, Gate]:
    """Each gated hypothesis's own `when:`, as the compiler parsed it."""
    return {h: c.gate for h, c in plan.hypotheses.items() if c.gate is not None}


def gate_state(gate: Gate, verdicts: dict[str, str]) -> GateState:
    """Open, closed or pending, given the verdicts so far (hypothesis -> status)."""
    return gate.state(verdicts)


def combine(states: list[GateState]) -> GateState:
    """All gates together: closed if one is (the first closed one says why), else pending
    if one is, else open."""
    for s in states:
        if s.state == CLOSED:
            return s
    return GateState(PENDING) if any(s.state == PENDING for s in states) else GateState(OPEN)


@dataclass
class Settled:
    """What one `settle()` changed."""
    cached: list[int] = field(default_factory=list)                  # hits whose gates opened
    skipped: list[tuple[int, str]] = field(default_factory=list)     # (task, reason)
    not_tested: list[tuple[str, str]] = field(default_factory=list)  # (hypothesis, reason)

    def __bool__(self) -> bool:
        return bool(self.cached or self.skipped or self.not_tested)


class Phases:
    """The state of one run: each task's status, each hypothesis's verdict."""

    def __init__(self, plan, hits: set[int] | frozenset[int] = frozenset()):
        self.plan = plan
        self.hits = set(hits)
        self.gates = stage_gates(plan)
        self.hyp_gates = hypothesis_gates(plan)
        self.hypotheses = list(plan.spec.hypotheses)
        self.status: dict[int, str] = {}          # finished tasks: succeeded|cached|failed|skipped
        self.reasons: dict[int, str] = {}         # why a task failed or was skipped
        self.verdicts: dict[str, str] = {}        # decided hypotheses (and "not tested" ones)
        self.not_tested: dict[str, str] = {}      # hypothesis -> why not tested
        self.stage_skips: dict[str, str] = {}     # stage -> why (some of) its tasks were skipped

    # -- gates --------------------------------------------------------------------------

    def stage_state(self, stage: str) -> GateState:
        return combine([gate_state(g, self.verdicts) for g in self.gates[stage]])

    def hypothesis_state(self, hid: str) -> GateState:
        gate = self.hyp_gates.get(hid)
        return GateState(OPEN) if gate is None else gate_state(gate, self.verdicts)

    # -- tasks --------------------------------------------------------------------------

    def stage_tasks(self, stage: str) -> range:
        st = self.plan.stages[stage]
        return range(st.first, st.first + st.count)

    def finished(self, i: int) -> bool:
        return i in self.status

    def stage_finished(self, stage: str) -> bool:
        return all(i in self.status for i in self.stage_tasks(stage))

    def finish(self, i: int, status: str, reason: str | None = None) -> None:
        """Record a task's outcome (succeeded, failed or skipped). Tasks downstream of a
        failed or skipped one are skipped by the next `settle()`."""
        if status not in FINISHED:
            raise ValueError(f"not a final task status: {status!r}")
        if i in self.status:
            return
        self.status[i] = status
        if reason:
            self.reasons[i] = reason
        if status == "skipped" and reason:
            self.stage_skips.setdefault(self.plan.tasks[i].stage, reason)

    def runnable(self) -> list[int]:
        """Tasks to run now: not finished, not in the store, every gate of their stage open.
        (Their inputs are finished or runnable too: an input's stage has a subset of the gates.)"""
        out = []
        for name in self.plan.stages:
            if self.stage_state(name).state != OPEN:
                continue
            out += [i for i in self.stage_tasks(name) if i not in self.status and i not in self.hits]
        return sorted(out)

    def unfinished(self) -> list[int]:
        return [i for i in range(len(self.plan.tasks)) if i not in self.status]

    def available(self) -> set[str]:
        """Ids of the tasks whose artifacts exist: succeeded or cached."""
        return {self.plan.tasks[i].id for i, s in self.status.items() if s in ("succeeded", "cached")}

    # -- hypotheses ---------------------------------------------------------------------

    def decidable(self) -> list[str]:
        """Hypotheses to judge now, in spec order: undecided, own gate open, and every
        stage they read finished."""
        out = []
        for h in self.hypotheses:
            if h in self.verdicts or self.hypothesis_state(h).state != OPEN:
                continue
            reads = self.plan.hypothesis_reads.get(h, ())
            if all(self.stage_finished(s) for s in reads if s in self.plan.stages):
                out.append(h)
        return out

    def unavailable(self, hids) -> dict[str, str]:
        """{stage: why} for the stages these hypotheses read that have failed or skipped tasks."""
        out: dict[str, str] = {}
        for h in hids:
            for stage in sorted(self.plan.hypothesis_reads.get(h, ())):
                if stage in out or stage not in self.plan.stages:
                    continue
                why = self.stage_problem(stage)
                if why:
                    out[stage] = why
        return out

    def stage_problem(self, stage: str) -> str | None:
        """Why a stage's table is incomplete (failed or skipped tasks), or None."""
        tasks = list(self.stage_tasks(stage))
        bad = [i for i in tasks if self.status.get(i) in ("failed", "skipped")]
        if not bad:
            return None
        gate = self.stage_state(stage)
        if gate.state == CLOSED and all(self.status.get(i) == "skipped" for i in tasks):
            return f"skipped: {gate.reason}"
        n = {s: sum(self.status[i] == s for i in bad) for s in ("failed", "skipped")}
        of = f"{len(tasks)} task{'s' if len(tasks) > 1 else ''}"
        if all(n.values()):
            counts = f"{n['failed']} failed and {n['skipped']} skipped of {of}"
        else:
            counts = next(f"{k} of {of} {s}" for s, k in n.items() if k)
        first = bad[0]
        detail = self.reasons.get(first) or self.status[first]
        return f"{counts} ({self.plan.tasks[first].id}: {detail})"

    def decide(self, hid: str, status: str) -> None:
        """Record a verdict (supported, refuted, inconclusive)."""
        self.verdicts[hid] = status

    # -- settling -----------------------------------------------------------------------

    def settle(self) -> Settled:
        """Apply the verdicts so far until nothing changes: hypotheses whose gate closed are
        not tested; tasks whose stage's gate closed are skipped; hits whose gates opened are
        cached; tasks whose input failed or was skipped are skipped."""
        out = Settled()
        changed = True
        while changed:
            changed = False
            for h in self.hypotheses:
                if h in self.verdicts:
                    continue
                state = self.hypothesis_state(h)
                if state.state == CLOSED:
                    self.verdicts[h] = NOT_TESTED
                    self.not_tested[h] = state.reason or "gate closed"
                    out.not_tested.append((h, self.not_tested[h]))
                    changed = True
            for name in self.plan.stages:
                state = self.stage_state(name)
                if state.state == PENDING:
                    continue
                for i in self.stage_tasks(name):
                    if i in self.status:
                        continue
                    if state.state == CLOSED:
                        self.finish(i, "skipped", state.reason)
                        out.skipped.append((i, state.reason or "gate closed"))
                        changed = True
                    elif i in self.hits:
                        self.finish(i, "cached")
                        out.cached.append(i)
                        changed = True
            for i, task in enumerate(self.plan.tasks):
                if i in self.status or i in self.hits:
                    continue
                reason = self._blocked(task)
                if reason:
                    self.finish(i, "skipped", reason)
                    out.skipped.append((i, reason))
                    changed = True
        return out

    def _blocked(self, task) -> str | None:
        """Why a task cannot run because of an input, the way the scheduler says it: an input
        that failed, or the reason an input was skipped."""
        for d in task.deps:
            status = self.status.get(d)
            if status == "failed":
                return f"upstream {self.plan.tasks[d].id} failed"
            if status == "skipped":
                return self.reasons.get(d) or f"upstream {self.plan.tasks[d].id} skipped"
        return None

    def give_up(self) -> Settled:
        """At the end: whatever is still undecided (it should not happen: the compiler rejects
        gate cycles) is skipped or not tested, saying so."""
        out = Settled()
        for h in self.hypotheses:
            if h not in self.verdicts:
                why = "never decidable: its gate or the stages it reads never resolved"
                self.verdicts[h] = NOT_TESTED
                self.not_tested[h] = why
                out.not_tested.append((h, why))
        for i in self.unfinished():
            gate = self.stage_state(self.plan.tasks[i].stage)
            why = "gate never resolved" if gate.state == PENDING else "never became runnable"
            self.finish(i, "skipped", why)
            out.skipped.append((i, why))
        return out
