"""Arithmetic on columns inside a call, abs/log/exp, range, argmax and `where ... == last`,
against numpy/pandas on known tables, for the estimate and for a materialised resample."""
import numpy as np
import pandas as pd
import pytest

from specc.compiler.measure import parse_measure
from specc.verdicts import FrameTables, MeasureEvalError, PreparedMeasure


def _first(curve: pd.Series, level: float) -> float:
    """The first index of a curve (sorted by its index) whose value reaches `level`, else NaN."""
    hit = curve.sort_index()[lambda c: c >= level]
    return float(hit.index[0]) if len(hit) else float("nan")


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    n = 30
    return pd.DataFrame({
        "item": np.tile(np.arange(n), 4),
        "checkpoint": np.repeat([100, 200, 300, 400], n),
        "cond": np.tile(list("abcde"), 4 * n // 5),
        "logp_good": rng.normal(-10, 2, 4 * n),
        "logp_bad": rng.normal(-11, 2, 4 * n),
        "ppl": rng.random(4 * n) * 50 + 1,
        "acc": rng.random(4 * n) + np.repeat([0.0, 0.4, 0.2, 0.1], n),
    })


def _est(frame, text, unit="item"):
    return PreparedMeasure(parse_measure(text), FrameTables({"s": frame}, {"s": ("checkpoint",)}),
                           unit).estimate()


@pytest.mark.parametrize("text, expected", [
    ("mean(s.logp_good - s.logp_bad)", lambda f: (f.logp_good - f.logp_bad).mean()),
    ("median(abs(s.logp_good - s.logp_bad))", lambda f: np.median(np.abs(f.logp_good - f.logp_bad))),
    ("mean(log(s.ppl))", lambda f: np.log(f.ppl).mean()),
    ("exp(mean(log(s.ppl)))", lambda f: np.exp(np.log(f.ppl).mean())),         # geometric mean
    ("abs(mean(s.logp_bad) - mean(s.logp_good))", lambda f: abs(f.logp_bad.mean() - f.logp_good.mean())),
    ("std((s.logp_good - s.logp_bad) / 2)", lambda f: ((f.logp_good - f.logp_bad) / 2).std()),
    ("mean(-s.acc * 2 + 1)", lambda f: (-f.acc * 2 + 1).mean()),
    ("mean(s.logp_good - s.logp_bad by item)", lambda f: (f.logp_good - f.logp_bad).groupby(f.item).mean().mean()),
    ("range(s.acc by cond)", lambda f: np.ptp(f.groupby("cond").acc.mean())),
    ("range(s.acc)", lambda f: np.ptp(f.acc)),
    ("argmax(s.acc by checkpoint)", lambda f: f.groupby("checkpoint").acc.mean().idxmax()),
    ("mean(s.acc) where checkpoint == last", lambda f: f[f.checkpoint == 400].acc.mean()),
    ("first_reaching(s.acc by checkpoint, level=0.6)", lambda f: _first(f.groupby("checkpoint").acc.mean(), 0.6)),
    ("first_reaching(s.acc by checkpoint, level=0.95)", lambda f: _first(f.groupby("checkpoint").acc.mean(), 0.95)),
    ("mean(s.acc where checkpoint == first)", lambda f: f[f.checkpoint == 100].acc.mean()),
    ("mean(s.acc) where checkpoint < last", lambda f: f[f.checkpoint < 400].acc.mean()),
])
def test_estimates(frame, text, expected):
    assert _est(frame, text) == pytest.approx(float(expected(frame)), rel=1e-12, nan_ok=True)


@pytest.mark.parametrize("text, expected", [
    ("mean(s.logp_good - s.logp_bad)", lambda f: (f.logp_good - f.logp_bad).mean()),
    ("range(s.acc by cond)", lambda f: np.ptp(f.groupby("cond").acc.mean())),
    ("argmax(s.acc by checkpoint)", lambda f: f.groupby("checkpoint").acc.mean().idxmax()),
    ("first_reaching(s.acc by checkpoint, level=0.6)", lambda f: _first(f.groupby("checkpoint").acc.mean(), 0.6)),
])
def test_a_resample_equals_the_materialised_resample(frame, text, expected):
    """Weights from one bootstrap draw of items == the measure on the rows it repeats."""
    rng = np.random.default_rng(9)
    prepared = PreparedMeasure(parse_measure(text), FrameTables({"s": frame}, {"s": ("checkpoint",)}), "item")
    items = sorted(frame.item.unique())
    draw = rng.choice(items, size=len(items), replace=True)
    index = {v: i for i, v in enumerate(prepared.units.index)}
    W = np.zeros((1, prepared.n_units))
    for item in draw:
        W[0, index[item]] += 1
    copies = [frame[frame.item == item].assign(item=f"{item}#{k}") for k, item in enumerate(draw)]
    assert prepared.evaluate(W)[0] == pytest.approx(float(expected(pd.concat(copies))), rel=1e-12)


def test_log_of_a_non_positive_value_is_an_error_not_a_nan(frame):
    with pytest.raises(MeasureEvalError, match="log of a value <= 0 in"):
        _est(frame, "mean(log(s.logp_good))")


def test_last_needs_an_ordered_column(frame):
    with pytest.raises(MeasureEvalError, match="needs an ordered"):
        _est(frame, "mean(s.acc) where cond == last")
