"""Gate and phase bookkeeping (runtime/phases.py), without Ray: which stages are open,
closed or pending given the verdicts so far, and which hypotheses can be decided."""
from __future__ import annotations

import pytest

from specc.compiler import compile_spec
from specc.compiler.gates import parse_gate
from specc.runtime.phases import CLOSED, OPEN, PENDING, Phases, gate_state, stage_gates

SPEC = """\
conditions:
  x: [1, 2]
stages:
  values: {op: tiny.value, over: [x], value: "${x}"}
  cheap: {op: tiny.sum, of: values}
  rescue: {op: tiny.sum, of: values, when: H1 is not supported}
  after: {op: tiny.sum, of: rescue}
  followup: {op: tiny.sum, of: values, when: H1 is supported}
  deeper: {op: tiny.sum, of: followup, when: H2 is supported}
hypotheses:
  H1: {statement: Cheap is positive., measure: mean(cheap.total), expect: "> 0", kind: exploratory, interval: {method: none}}
  H2: {statement: Follow-up is positive., measure: mean(followup.total), expect: "> 0", kind: exploratory, interval: {method: none}}
  H3: {statement: Values are positive., measure: mean(values.value), expect: "> 0",
       kind: exploratory, interval: {method: none}, when: H1 is not supported}
  H4: {statement: Still positive., measure: mean(values.value), expect: "> 0",
       kind: exploratory, interval: {method: none}, when: H3 is supported}
"""


@pytest.fixture
def plan(project):
    return compile_spec(project.write(SPEC))


def ids(plan, indices) -> list[str]:
    return sorted(plan.tasks[i].id for i in indices)


def index(plan, task_id: str) -> int:
    return next(i for i, t in enumerate(plan.tasks) if t.id == task_id)


def run(book: Phases, plan, task_ids, status="succeeded", reason=None):
    for t in task_ids:
        book.finish(index(plan, t), status, reason)


def test_effective_gates_are_a_stages_own_and_those_upstream_of_it(plan):
    gates = {name: [str(g) for g in gs] for name, gs in stage_gates(plan).items()}
    assert gates == {"values": [], "cheap": [], "rescue": ["H1 is not supported"],
                     "after": ["H1 is not supported"], "followup": ["H1 is supported"],
                     "deeper": ["H1 is supported", "H2 is supported"]}


@pytest.mark.parametrize("verdict, state", [("supported", CLOSED), ("refuted", OPEN),
                                            ("inconclusive", OPEN), (None, PENDING)])
def test_is_not_supported_opens_on_refuted_or_inconclusive(verdict, state):
    gate = parse_gate("H1 is not supported")
    got = gate_state(gate, {} if verdict is None else {"H1": verdict})
    assert got.state == state
    if state == CLOSED:
        assert got.reason == 'gate "H1 is not supported" closed: H1 is supported'


def test_a_gate_on_a_hypothesis_that_was_not_tested_is_closed():
    got = gate_state(parse_gate("H3 is not supported"), {"H3": "not tested"})
    assert got.state == CLOSED and got.reason == 'gate "H3 is not supported" closed: H3 was not tested'


def test_only_ungated_tasks_run_before_any_verdict(plan):
    book = Phases(plan)
    assert not book.settle()
    assert ids(plan, book.runnable()) == ["cheap", "values/x=1", "values/x=2"]
    assert book.decidable() == []                    # nothing read has finished yet


def test_a_hypothesis_is_decidable_only_once_every_stage_it_reads_finished(plan):
    book = Phases(plan)
    run(book, plan, ["values/x=1"])
    assert book.decidable() == []
    run(book, plan, ["values/x=2"])
    assert book.decidable() == []                    # H1 reads cheap; H3 waits for its gate
    run(book, plan, ["cheap"])
    assert book.decidable() == ["H1"]


def test_verdicts_open_and_close_gates_through_upstream_stages(plan):
    book = Phases(plan)
    run(book, plan, ["values/x=1", "values/x=2", "cheap"])
    book.decide("H1", "supported")
    settled = book.settle()
    reason = 'gate "H1 is not supported" closed: H1 is supported'
    assert sorted((plan.tasks[i].id, r) for i, r in settled.skipped) == [("after", reason), ("rescue", reason)]
    assert book.stage_skips == {"rescue": reason, "after": reason}
    # H3 is gated on H1 not being supported: not tested; H4, gated on H3, neither.
    assert settled.not_tested == [("H3", reason), ("H4", 'gate "H3 is supported" closed: H3 was not tested')]
    assert ids(plan, book.runnable()) == ["followup"]  # deeper waits for H2
    run(book, plan, ["followup"])
    assert book.decidable() == ["H2"]
    book.decide("H2", "refuted")
    settled = book.settle()
    assert [(plan.tasks[i].id, r) for i, r in settled.skipped] == [
        ("deeper", 'gate "H2 is supported" closed: H2 is refuted')]
    assert book.unfinished() == [] and book.runnable() == [] and book.decidable() == []


def test_tasks_in_the_store_are_cached_only_once_their_gate_opens(plan):
    hits = {index(plan, t) for t in ("values/x=1", "values/x=2", "cheap", "rescue", "followup")}
    book = Phases(plan, hits)
    assert ids(plan, book.settle().cached) == ["cheap", "values/x=1", "values/x=2"]
    assert book.runnable() == [] and book.decidable() == ["H1"]
    book.decide("H1", "refuted")
    settled = book.settle()
    assert ids(plan, settled.cached) == ["rescue"]      # its gate opened: in the store, not run
    assert ids(plan, (i for i, _ in settled.skipped)) == ["deeper", "followup"]
    assert ids(plan, book.runnable()) == ["after"]
    assert book.decidable() == ["H2", "H3"]   # H2 reads a skipped stage: the judge is told so
    assert book.unavailable(["H2", "H3"]) == {
        "followup": 'skipped: gate "H1 is supported" closed: H1 is refuted'}


def test_a_failed_task_blocks_what_reads_it_in_any_phase_and_makes_its_stage_unavailable(plan):
    book = Phases(plan)
    run(book, plan, ["values/x=1"])
    run(book, plan, ["values/x=2"], "failed", "ValueError: boom")
    settled = book.settle()
    blocked = "upstream values/x=2 failed"
    assert sorted((plan.tasks[i].id, r) for i, r in settled.skipped) == [
        (t, blocked) for t in ("after", "cheap", "deeper", "followup", "rescue")]
    assert book.stage_skips["rescue"] == blocked
    assert book.decidable() == ["H1", "H2"]   # followup will never run, whatever H1 says
    assert book.unavailable(["H1"]) == {"cheap": f"1 of 1 task skipped (cheap: {blocked})"}
    book.decide("H1", "inconclusive")   # what a judge says of a stage it cannot read
    book.decide("H2", "inconclusive")
    book.settle()
    assert book.decidable() == ["H3"]   # its gate, "H1 is not supported", opened
    assert book.unavailable(["H3"]) == {"values": "1 of 2 tasks failed (values/x=2: ValueError: boom)"}
    assert book.available() == {"values/x=1"}
