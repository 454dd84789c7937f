"""What the compiler hands over for each hypothesis: a typed, fully parsed object.

Runtime, verdicts, reports and the pre-registration read these (`plan.hypotheses`)
and never the spec's measure, expect or gate text: the text is parsed once, here,
so every layer decides, reports and freezes exactly what the compiler checked.

    h = plan.hypotheses["H1"]
    h.measure          # measure_ast.Measure (the syntax tree)
    h.expect           # thresholds.Expect; h.expect.alternative: greater | less | two-sided
    h.gate             # gates.Gate or None
    h.reads            # the stages and data sources the measure reads, in text order
    h.unit             # the resampling unit (declared, or inferred: h.unit_inferred)
    h.rule             # the decision rule in words (h.rule_for("exploratory") when demoted)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .gates import Gate, parse_gate
from .measure import parse_measure
from .measure_ast import Call, Filtered, Measure, Per, calls, column_uses
from .measure_format import format_measure
from .thresholds import Expect, parse_expect


@dataclass(frozen=True)
class CompiledHypothesis:
    id: str
    statement: str
    kind: str                                   # confirmatory | exploratory (as declared)
    measure: Measure
    expect: Expect
    gate: Gate | None
    reads: tuple[str, ...]                      # stages and data sources, in text order
    unit: str                                   # resampling unit of the interval
    unit_inferred: bool                         # True when the spec left it to the compiler
    interval: Any                               # spec_model.Interval (unit: the resolved one)
    test: Any                                   # spec_model.Test or None
    alpha: float                                # the test's alpha, else decision.alpha
    rules: dict[str, str] = field(default_factory=dict, compare=False)  # kind -> rule in words
    missing: str | None = None                  # empty values: None/"error" (an error) or "drop"

    @property
    def measure_text(self) -> str:
        """The measure in canonical spelling (as frozen in the lock)."""
        return format_measure(self.measure)

    @property
    def rule(self) -> str:
        return self.rules[self.kind]

    def rule_for(self, kind: str) -> str:
        """The rule when reported as `kind` (a confirmatory hypothesis demoted after the lock
        is decided without the family correction)."""
        return self.rules[kind]

    @property
    def call(self) -> Call | None:
        """The measure's one call, when the measure is a single call (under `where`s)."""
        return single_call(self.measure)

    @property
    def function(self):
        """The measure function (specc.measures.MeasureFunction) of the one call, or None
        when the measure combines several calls."""
        from specc.measures import MEASURE_FUNCTIONS
        call = self.call
        return MEASURE_FUNCTIONS.get(call.func.text) if call is not None else None

    @property
    def series(self) -> Per | None:
        """The series the measure's one call summarises (`argmax(pearson(...) per
        checkpoint)`), or None."""
        call = self.call
        arg = call.args[0] if call is not None and call.args else None
        return arg if isinstance(arg, Per) else None

    @property
    def test_alternative(self) -> str | None:
        """The declared test's alternative, defaulting to the direction of expect."""
        if self.test is None:
            return None
        return self.test.alternative or self.expect.alternative


def single_call(measure: Measure) -> Call | None:
    expr = measure.expr
    while isinstance(expr, Filtered):
        expr = expr.expr
    return expr if isinstance(expr, Call) else None


def measure_reads(measure: Measure) -> tuple[str, ...]:
    return tuple(dict.fromkeys(u.source for u in column_uses(measure)))


def infer_unit(measure: Measure) -> str:
    """The default resampling unit: the join key of the first `by` join (a paired statistic
    whose arguments are grouped: `spearman(score.correct by UID, humans.y by Condition)`
    resamples UIDs, so each paradigm is one unit), otherwise the item."""
    from specc.measures import MEASURE_FUNCTIONS
    for call in calls(measure):
        if MEASURE_FUNCTIONS.get(call.func.text).paired and call.args and call.args[0].by:
            return call.args[0].by[0].text
    return "item"


def compile_hypothesis(hid: str, hyp, decision, *, measure: Measure | None = None,
                       expect: Expect | None = None, gate: Gate | None = None) -> CompiledHypothesis:
    """Build the typed hypothesis from a spec_model.Hypothesis. Parts already parsed (by
    the checks, which report errors with positions) are passed in; the rest is parsed
    here and raises MeasureError. The resampling unit is the declared one, else inferred."""
    from .rules import decision_rule
    measure = measure if measure is not None else parse_measure(hyp.measure)
    expect = expect if expect is not None else parse_expect(hyp.expect)
    if gate is None and hyp.when is not None:
        gate = parse_gate(hyp.when)
    unit_inferred = hyp.interval.unit is None
    unit = infer_unit(measure) if unit_inferred else hyp.interval.unit
    interval = hyp.interval.model_copy(update={"unit": unit})
    alpha = hyp.test.alpha if hyp.test is not None and hyp.test.alpha is not None else decision.alpha
    rules = {kind: decision_rule(expect, interval, hyp.test, decision, kind)
             for kind in ("confirmatory", "exploratory")}
    return CompiledHypothesis(hid, hyp.statement, hyp.kind, measure, expect, gate,
                              measure_reads(measure), unit, unit_inferred, interval, hyp.test,
                              alpha, rules, hyp.missing)


def compile_hypotheses(spec) -> dict[str, CompiledHypothesis]:
    """Every hypothesis of an already checked spec (tests, notebooks); raises MeasureError."""
    return {hid: compile_hypothesis(hid, h, spec.decision) for hid, h in spec.hypotheses.items()}
