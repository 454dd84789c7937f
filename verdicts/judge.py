"""Decide a set of hypotheses: estimate, interval, test, family correction, verdict.

    results = judge(plan, tables, ["H1", "H3"], unavailable={}, phase=1)

Called by the runtime once per phase with the hypotheses that became decidable
(every stage they read has finished, their own gate is open); the confirmatory
ones among them form one family for the correction (see decide.py).
"""
from __future__ import annotations

import math
from typing import Any

from specc.compiler.measure import column_uses, parse_measure
from specc.compiler.thresholds import Expect, parse_expect

from .cells import MeasureEvalError
from specc.compiler.rules import decision_rule

from .decide import correct, verdict
from .evaluate import PreparedMeasure
from .intervals import bootstrap, bootstrap_p, fisher_z, hypothesis_seed
from .result import INCONCLUSIVE, HypothesisResult, TestResult
from .significance import default_alternative, reverse, run_test


def judge(plan: Any, tables: Any, hids: list[str], unavailable: dict[str, str] | None = None,
          phase: int = 1, demoted: dict[str, str] | None = None) -> dict[str, HypothesisResult]:
    spec = plan.spec
    unavailable, demoted = unavailable or {}, demoted or {}
    results: dict[str, HypothesisResult] = {}
    evidence: dict[str, tuple[Expect, float | None]] = {}    # hid -> (expect, p_reverse)
    for hid in hids:
        hyp = spec.hypotheses[hid]
        measure = parse_measure(hyp.measure)
        expect = parse_expect(hyp.expect)
        kind = "exploratory" if hid in demoted else hyp.kind
        reads = list(dict.fromkeys(u.source for u in column_uses(measure)))
        alpha = hyp.test.alpha if hyp.test and hyp.test.alpha else spec.decision.alpha
        rule = decision_rule(hyp, spec.decision, kind)
        result = HypothesisResult(hid, hyp.statement, kind, hyp.measure, str(expect), INCONCLUSIVE,
                                  rule, gate=hyp.when, reads=reads, family=phase,
                                  demoted=demoted.get(hid))
        results[hid] = result
        missing = [s for s in reads if s in unavailable]
        if missing:
            result.reason = "; ".join(f"stage {s}: {unavailable[s]}" for s in missing)
            continue
        try:
            evidence[hid] = (expect, _measure(result, hyp, measure, expect, tables, spec.seed, alpha))
        except (MeasureEvalError, LookupError) as exc:
            result.reason = f"cannot compute the measure: {exc}"
    _decide(results, evidence, spec.decision)
    return results


def _measure(result: HypothesisResult, hyp, measure, expect: Expect, tables, spec_seed: int,
             alpha: float) -> float | None:
    """Fill estimate, interval and test; return the reverse-direction p (test-only rules)."""
    prepared = PreparedMeasure(measure, tables, hyp.interval.unit)
    result.estimate = prepared.estimate()
    if not math.isfinite(result.estimate):
        raise MeasureEvalError("the measure is undefined (NaN) on these tables, e.g. a "
                               "correlation of a constant column")
    seed = hypothesis_seed(spec_seed, result.id)
    method = hyp.interval.method
    notes = []
    if method == "fisher_z":
        result.interval, p, note = fisher_z(prepared, hyp.interval.level, expect)
        if p is not None:
            result.test = TestResult("fisher_z", default_alternative(expect),
                                     f"correlation {_opposite(expect)}", None, p, alpha=alpha)
        notes.append(note)
    elif method != "none":
        outcome = bootstrap(prepared, method, hyp.interval.level, hyp.interval.n_resamples, seed)
        result.interval = outcome.interval
        notes.append(outcome.note)
        if outcome.interval is not None:
            result.test = TestResult("bootstrap", default_alternative(expect),
                                     f"measure {_opposite(expect)}", None,
                                     bootstrap_p(outcome.distribution, expect), alpha=alpha)
    p_reverse = None
    if hyp.test:
        alternative = hyp.test.alternative or default_alternative(expect)
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


def _opposite(expect: Expect) -> str:
    """The null a one-sided p tests: the measure on the wrong side of the threshold."""
    c, t = expect.comparator, f"{expect.threshold:g}"
    if c == "between":
        return f"outside [{t}, {expect.upper:g}]"
    return {">": f"<= {t}", ">=": f"< {t}", "<": f">= {t}", "<=": f"> {t}"}.get(c, f"= {t}")


def _decide(results: dict[str, HypothesisResult], evidence, decision) -> None:
    family = [hid for hid in evidence
              if results[hid].kind == "confirmatory" and results[hid].test is not None]
    adjusted = correct([results[h].test.p for h in family], decision.correction)
    for hid, p_adj in zip(family, adjusted):
        results[hid].test.p_adjusted = p_adj
    for hid, (expect, p_reverse) in evidence.items():
        r = results[hid]
        if r.interval is None and r.reason and r.reason.startswith("no interval"):
            continue  # the interval was declared but could not be computed: inconclusive
        p = None
        if r.test is not None:
            p = r.test.p_adjusted if r.test.p_adjusted is not None else r.test.p
        alpha = r.test.alpha if r.test is not None else decision.alpha
        r.status = verdict(expect, r.estimate, r.interval, p, p_reverse, alpha)
