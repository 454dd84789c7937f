"""The decision rule in words, shared by the pre-registration and the results."""
import pytest

from specc.compiler.spec_model import Decision, Hypothesis
from specc.compiler.typed_hypothesis import compile_hypothesis


def _rule(expect="> 0.5", kind="confirmatory", decision=None, **fields):
    h = Hypothesis(statement="s", measure="mean(a.b)", expect=expect, kind=kind, **fields)
    return compile_hypothesis("H", h, decision or Decision()).rule


def test_the_example_rule():
    assert _rule(test={"method": "permutation"}) == (
        "supported when the 95% BCa interval over item lies wholly above 0.5 and the Holm-corrected "
        "p < 0.05 (permutation test, greater); refuted when it lies wholly at or below 0.5; "
        "otherwise inconclusive")


def test_without_a_test_the_bootstrap_p_is_corrected():
    assert _rule() == (
        "supported when the 95% BCa interval over item lies wholly above 0.5 and the Holm-corrected "
        "bootstrap p < 0.05 (greater); refuted when it lies wholly at or below 0.5; otherwise "
        "inconclusive")


@pytest.mark.parametrize("expect, yes, no, alt", [
    ("> 0.5", "above 0.5", "at or below 0.5", "greater"),
    (">= 0.7", "at or above 0.7", "below 0.7", "greater"),
    ("< 0", "below 0", "at or above 0", "less"),
    ("<= -1", "at or below -1", "above -1", "less"),
    ("between 0.2 and 0.4", "within [0.2, 0.4]", "outside [0.2, 0.4]", "both bounds"),
])
def test_sides(expect, yes, no, alt):
    assert _rule(expect) == (f"supported when the 95% BCa interval over item lies wholly {yes} and the "
                             f"Holm-corrected bootstrap p < 0.05 ({alt}); refuted when it lies wholly "
                             f"{no}; otherwise inconclusive")


def test_equality_can_only_be_refuted():
    assert _rule("== 0").startswith("refuted when the 95% BCa interval over item excludes 0; otherwise")
    assert _rule("!= 0").startswith("supported when the 95% BCa interval over item excludes 0 and")


def test_interval_settings_and_corrections():
    rule = _rule(interval={"method": "percentile", "level": 0.9, "unit": "seed"},
                 test={"method": "t", "alpha": 0.01, "alternative": "two-sided"},
                 decision=Decision(correction="bh"))
    assert rule.startswith("supported when the 90% percentile interval over seed lies wholly above 0.5 "
                           "and the BH-adjusted p < 0.01 (t test, two-sided)")
    assert "over" not in _rule(interval={"method": "fisher_z"}).split("lies")[0][-20:]
    assert "the p < 0.05" in _rule(test={"method": "binomial"}, decision=Decision(correction="none"))


def test_exploratory_p_values_are_uncorrected():
    assert "Holm" not in _rule(kind="exploratory", test={"method": "permutation"})


def test_no_interval():
    assert _rule(interval={"method": "none"}) == (
        "supported when the estimate is > 0.5; refuted otherwise (a point estimate: no interval or "
        "test declared)")
    assert _rule(interval={"method": "none"}, test={"method": "permutation"}) == (
        "supported when the Holm-corrected p < 0.05 (permutation test, greater); refuted when the "
        "test in the opposite direction is significant; otherwise inconclusive")
