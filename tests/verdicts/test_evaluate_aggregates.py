"""Aggregates and arithmetic equal pandas on the same rows."""
import numpy as np
import pytest


def test_mean_with_where(estimate, frames):
    s = frames["score"]
    assert estimate('mean(score.correct) where model == "tiny"') == pytest.approx(
        s[s.model == "tiny"].correct.mean())


@pytest.mark.parametrize("func", ["mean", "median", "sum", "std", "min", "max", "count"])
def test_aggregate_of_rows(estimate, frames, func):
    col = frames["score"]["diff"]
    expected = {"count": len(col)}.get(func) or getattr(col, func)()
    assert estimate(f"{func}(score.diff)") == pytest.approx(expected)


@pytest.mark.parametrize("func", ["mean", "median", "sum", "std", "min", "max", "count"])
def test_aggregate_of_group_means(estimate, frames, func):
    means = frames["score"].groupby(["model", "seed"])["diff"].mean()
    expected = {"count": len(means)}.get(func) or getattr(means, func)()
    assert estimate(f"{func}(score.diff by model, seed)") == pytest.approx(expected)


def test_arithmetic_between_calls(estimate, frames):
    s = frames["score"]
    tiny, small = s[s.model == "tiny"].correct.mean(), s[s.model == "small"].correct.mean()
    got = estimate('1 - mean(score.correct where model == "tiny") / mean(score.correct where model == "small")')
    assert got == pytest.approx(1 - tiny / small)
    assert estimate("-(mean(score.diff) * 2)") == pytest.approx(-2 * s["diff"].mean())


def test_in_and_not_in_filters(estimate, frames):
    s = frames["score"]
    assert estimate("mean(score.diff where seed in [1, 2])") == pytest.approx(s[s.seed.isin([1, 2])]["diff"].mean())
    assert estimate("mean(score.diff where seed not in [1, 2])") == pytest.approx(s[s.seed == 3]["diff"].mean())


def test_accuracy_vs_chance(estimate, frames):
    assert estimate("accuracy_vs_chance(score.correct, chance=0.5)") == pytest.approx(
        frames["score"].correct.mean() - 0.5)


def test_no_rows_is_an_error(tables):
    from specc.compiler.measure import parse_measure
    from specc.verdicts import MeasureEvalError, PreparedMeasure
    with pytest.raises(MeasureEvalError, match="no rows"):
        PreparedMeasure(parse_measure("mean(score.correct) where checkpoint == 7"), tables, "item")
