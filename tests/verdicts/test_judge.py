"""judge(): hypotheses on tables with known answers, end to end (measure -> verdict)."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from specc.compiler.spec_model import Decision, Hypothesis
from specc.compiler.typed_hypothesis import compile_hypotheses
from specc.verdicts import INCONCLUSIVE, REFUTED, SUPPORTED, FrameTables, judge


def _plan(hyps, correction="holm", seed=11):
    spec = SimpleNamespace(hypotheses={k: Hypothesis(**v) for k, v in hyps.items()},
                           decision=Decision(correction=correction, alpha=0.05), seed=seed)
    return SimpleNamespace(spec=spec, hypotheses=compile_hypotheses(spec))


@pytest.fixture(scope="module")
def acc():
    """200 items; model `good` is right on 80% of them, `coin` on 50%, `bad` on 20%."""
    rng = np.random.default_rng(5)
    rows = []
    for model, rate in (("good", 0.8), ("coin", 0.5), ("bad", 0.2)):
        correct = np.zeros(200, bool)
        correct[rng.choice(200, int(rate * 200), replace=False)] = True
        rows.append(pd.DataFrame({"item": np.arange(200), "model": model, "correct": correct}))
    return FrameTables({"score": pd.concat(rows, ignore_index=True)}, {"score": ("model",)})


def H(measure, expect, **kw):
    return {"statement": "s", "measure": measure, "expect": expect,
            "interval": {"method": "bca", "unit": "item", "n_resamples": 2000}, **kw}


def test_each_outcome(acc):
    plan = _plan({"good": H('mean(score.correct) where model == "good"', "> 0.6"),
                  "bad": H('mean(score.correct) where model == "bad"', "> 0.6"),
                  "coin": H('mean(score.correct) where model == "coin"', "> 0.5")})
    out = judge(plan, acc, ["good", "bad", "coin"])
    assert (out["good"].status, out["bad"].status, out["coin"].status) == (SUPPORTED, REFUTED, INCONCLUSIVE)
    assert out["good"].estimate == pytest.approx(0.8)
    assert out["good"].interval.low > 0.6 and out["bad"].interval.high < 0.6
    assert out["coin"].interval.low < 0.5 < out["coin"].interval.high
    assert "lies wholly above 0.6" in out["good"].rule


def test_holm_over_the_family(acc):
    plan = _plan({"A": H('mean(score.correct) where model == "good"', "> 0.5"),
                  "B": H('mean(score.correct) where model == "coin"', "> 0.45"),
                  "X": {**H('mean(score.correct) where model == "coin"', "> 0.45"), "kind": "exploratory"}})
    out = judge(plan, acc, ["A", "B", "X"])
    raw = [out["A"].test.p, out["B"].test.p]
    assert [out["A"].test.p_adjusted, out["B"].test.p_adjusted] == pytest.approx(
        list(multipletests(raw, method="holm")[1]))
    assert out["X"].test.p_adjusted is None          # exploratory: not in the family


def test_declared_binomial_test(acc):
    plan = _plan({"T": {**H('mean(score.correct) where model == "good"', "> 0.7"),
                        "test": {"method": "binomial"}}}, correction="none")
    out = judge(plan, acc, ["T"])["T"]
    assert out.test.method == "binomial"
    assert out.test.p == pytest.approx(stats.binomtest(160, 200, 0.7, alternative="greater").pvalue)
    assert out.status == SUPPORTED


def test_unavailable_stage_is_inconclusive(acc):
    plan = _plan({"H1": H("mean(score.correct)", "> 0.5")})
    out = judge(plan, acc, ["H1"], unavailable={"score": "1 of 3 tasks failed"})["H1"]
    assert out.status == INCONCLUSIVE and out.estimate is None
    assert out.reason == "stage score: 1 of 3 tasks failed"


def test_measure_error_is_inconclusive_with_reason(acc):
    plan = _plan({"H1": H("mean(score.correct) where model == \"nobody\"", "> 0.5")})
    out = judge(plan, acc, ["H1"])["H1"]
    assert out.status == INCONCLUSIVE and "no rows" in out.reason


def test_demoted_hypothesis_is_exploratory(acc):
    plan = _plan({"H1": H("mean(score.correct)", "> 0.3")})
    out = judge(plan, acc, ["H1"], demoted={"H1": "expect changed after pre-registration"})["H1"]
    assert out.kind == "exploratory" and out.demoted.startswith("expect changed")
    assert out.test.p_adjusted is None


def test_round_trip_through_json(acc):
    import json
    from specc.verdicts import HypothesisResult
    plan = _plan({"H1": H("mean(score.correct)", "> 0.3")})
    out = judge(plan, acc, ["H1"])["H1"]
    assert HypothesisResult.from_dict(json.loads(json.dumps(out.to_dict()))) == out


def test_the_family_spans_phases(acc):
    """H2 (behind a gate) is decided later; H1 is corrected as if H2's p were 1, and H2 then
    with H1's real p — one Holm family over every confirmatory hypothesis."""
    plan = _plan({"H1": H('mean(score.correct) where model == "good"', "> 0.7"),
                  "H2": {**H('mean(score.correct) where model == "coin"', "> 0.45"), "when": "H1 is supported"}})
    decided = {}
    h1 = judge(plan, acc, ["H1"], phase=1, decided=decided)["H1"]
    assert h1.test.p_adjusted == pytest.approx(min(1.0, 2 * h1.test.p))
    h2 = judge(plan, acc, ["H2"], phase=2, decided=decided)["H2"]
    assert h2.test.p_adjusted == pytest.approx(list(multipletests([h1.test.p, h2.test.p], method="holm")[1])[1])


def test_a_crash_in_one_measure_is_inconclusive_not_fatal(acc):
    """Comparing a text column with a number raises inside pandas: the hypothesis is
    inconclusive with the error as its reason; the others are still decided."""
    plan = _plan({"bad": H("mean(score.correct) where model < 3", "> 0.5"),
                  "good": H('mean(score.correct) where model == "good"', "> 0.6")})
    out = judge(plan, acc, ["bad", "good"])
    assert out["bad"].status == INCONCLUSIVE and "TypeError" in out["bad"].reason
    assert out["good"].status == SUPPORTED
