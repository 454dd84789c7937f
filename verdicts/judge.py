"""Decide a set of hypotheses: estimate, interval, test, family correction, verdict.

    decided = {}
    results = judge(plan, tables, ["H1", "H3"], unavailable={}, phase=1, decided=decided)

Called by the runtime once per phase with the hypotheses that became decidable
(every stage they read has finished, their own gate is open).

The family for the correction is every hypothesis the spec declares confirmatory
(demoted ones included: editing one must not loosen the others). A member not
decided yet — behind a gate, failed, not tested — counts with p = 1, so a verdict
given before later phases are known is conservative, and final (gates act on it).
`decided` carries the members' p-values from one phase to the next.
"""
from __future__ import annotations

import math
from typing import Any

from .cells import MeasureEvalError
from .decide import correct, verdict
from .evaluate import PreparedMeasure
from .intervals import bootstrap, bootstrap_p, fisher_z, hypothesis_seed
from .result import INCONCLUSIVE, HypothesisResult, TestResult
from .significance import reverse, run_test


def judge(plan: Any, tables: Any, hids: list[str], unavailable: dict[str, str] | None = None,
          phase: int = 1, demoted: dict[str, str] | None = None,
          decided: dict[str, float] | None = None) -> dict[str, HypothesisResult]:
    spec = plan.spec
    unavailable, demoted = unavailable or {}, demoted or {}
    decided = {} if decided is None else decided
    results: dict[str, HypothesisResult] = {}
    evidence: dict[str, tuple[Any, float | None]] = {}    # hid -> (expect, p_reverse)
    for hid in hids:
        hyp = plan.hypotheses[hid]
        kind = "exploratory" if hid in demoted else hyp.kind
        result = HypothesisResult(hid, hyp.statement, kind, hyp.measure_text, str(hyp.expect),
                                  INCONCLUSIVE, hyp.rule_for(kind),
                                  gate=str(hyp.gate) if hyp.gate else None, reads=list(hyp.reads),
                                  family=phase if kind == "confirmatory" else None,
                                  demoted=demoted.get(hid), unit=hyp.unit,
                                  unit_inferred=hyp.unit_inferred)
        results[hid] = result
        missing = [s for s in hyp.reads if s in unavailable]
        if missing:
            result.reason = "; ".join(f"stage {s}: {unavailable[s]}" for s in missing)
            continue
        try:
            evidence[hid] = (hyp.expect, _measure(result, hyp, tables, spec.seed))
        except (MeasureEvalError, LookupError) as exc:
            result.reason = f"cannot compute the measure: {exc}"
        except Exception as exc:  # noqa: BLE001 - one hypothesis's failure must not sink the run
            result.reason = f"cannot compute the measure: {type(exc).__name__}: {exc}"
    _decide(results, evidence, spec, plan.hypotheses, decided)
    return results


def _measure(result: HypothesisResult, hyp, tables, spec_seed: int) -> float | None:
    """Fill estimate, interval and test; return the reverse-direction p (test-only rules).
    `hyp`: the compiler's CompiledHypothesis."""
    expect, alpha = hyp.expect, hyp.alpha
    prepared = PreparedMeasure(hyp.measure, tables, hyp.unit, hyp.missing)
    if hyp.missing == "drop":
        result.missing_dropped = prepared.dropped   # filled as the arguments are read
    result.estimate = prepared.estimate()
    if not math.isfinite(result.estimate):
        raise MeasureEvalError("the measure is undefined (NaN) on these tables, e.g. a "
                               "correlation of a constant column, or a first_reaching whose level "
                               "is never reached")
    seed = hypothesis_seed(spec_seed, result.id)
    method = hyp.interval.method
    notes = []
    if method == "fisher_z":
        result.interval, p, note = fisher_z(prepared, hyp.interval.level, expect)
        if p is not None:
            result.test = TestResult("fisher_z", expect.alternative,
                                     f"correlation {_opposite(expect)}", None, p, alpha=alpha)
        notes.append(note)
    elif method != "none":
        outcome = bootstrap(prepared, method, hyp.interval.level, hyp.interval.n_resamples, seed)
        result.interval = outcome.interval
        notes.append(outcome.note)
        if outcome.interval is not None:
            result.test = TestResult("bootstrap", expect.alternative,
                                     f"measure {_opposite(expect)}", None,
                                     bootstrap_p(outcome.distribution, expect), alpha=alpha)
    p_reverse = None
    if hyp.test:
        alternative = hyp.test_alternative
        result.test = run_test(prepared, hyp.test.method, alternative, expect,
                               hyp.test.n_permutations, seed, alpha)
        if method == "none" and alternative != "two-sided":
            p_reverse = run_test(prepared, hyp.test.method, reverse(alternative), expect,
                                 hyp.test.n_permutations, seed, alpha).p
    if method != "none" and result.interval is None:
        result.reason = "no interval: " + "; ".join(n for n in notes if n)
    elif any(notes):
        result.reason = "; ".join(n for n in notes if n)
    return p_reverse


def _opposite(expect) -> str:
    """The null a one-sided p tests: the measure on the wrong side of the threshold."""
    c, t = expect.comparator, f"{expect.threshold:g}"
    if c == "between":
        return f"outside [{t}, {expect.upper:g}]"
    return {">": f"<= {t}", ">=": f"< {t}", "<": f">= {t}", "<=": f"> {t}"}.get(c, f"= {t}")


def _decide(results: dict[str, HypothesisResult], evidence, spec, plan_hypotheses,
            decided: dict[str, float]) -> None:
    decision = spec.decision
    members = [h for h, x in plan_hypotheses.items() if x.kind == "confirmatory"]
    for hid in members:
        if hid in results:
            r = results[hid]
            decided[hid] = r.test.p if hid in evidence and r.test is not None else 1.0
    adjusted = dict(zip(members, correct([decided.get(h, 1.0) for h in members], decision.correction)))
    for hid, r in results.items():
        if r.kind == "confirmatory" and r.test is not None:
            r.test.p_adjusted = adjusted[hid]
    for hid, (expect, p_reverse) in evidence.items():
        r = results[hid]
        if r.interval is None and r.reason and r.reason.startswith("no interval"):
            continue  # the interval was declared but could not be computed: inconclusive
        p = None
        if r.test is not None:
            p = r.test.p_adjusted if r.test.p_adjusted is not None else r.test.p
        alpha = r.test.alpha if r.test is not None else decision.alpha
        r.status = verdict(expect, r.estimate, r.interval, p, p_reverse, alpha)
