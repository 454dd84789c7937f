"""Summaries of a series: a measure's value on each value of a `per` key.

    argmax(pearson(score.pref by item, humans.pref by item) per checkpoint)

The evaluator (specc.verdicts) computes the inner expression once per key value, for
the estimate and for each resample, and hands a summary three arrays:

    values  (B, V)   the inner value at each key value in each resample (NaN: undefined)
    weights (B, V)   how often each point counts: 1, or, when each key value is one
                     resampling unit (per seed, unit seed), that unit's multiplicity;
                     0 where the value is undefined (a resample without the point)
    keys    (V,)     the key values, ascending when they are numbers

A point counts with its weight, so a summary of a resampled series is the summary of
the series the resample contains: with every weight 1 each equals its numpy/pandas
counterpart over the points (tests check).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import weighted
from .function import MeasureEvalError

SeriesFn = Callable[..., np.ndarray]   # (call, values, weights, keys) -> (B,)


def ordered_keys(keys, what: str) -> np.ndarray:
    """The key values as numbers (an ordered axis: checkpoint, tokens, layer)."""
    try:
        return np.array([float(k) for k in keys])
    except (TypeError, ValueError):
        raise MeasureEvalError(f"{what}: the key must be numeric (an ordered axis), got "
                               f"{keys[0]!r}") from None


def summary(kind: str) -> SeriesFn:
    """How the aggregate `kind` summarises a series (one value per key value)."""
    def run(call, values, weights, keys):
        if kind == "mean":
            return weighted.mean(values, weights)
        if kind == "median":
            return weighted.median(values, weights)
        if kind == "std":
            return np.sqrt(weighted.var(values, weights))
        if kind in ("max", "min"):
            return weighted.extreme(values, weights, largest=kind == "max")
        if kind == "range":
            return (weighted.extreme(values, weights, largest=True)
                    - weighted.extreme(values, weights, largest=False))
        raise ValueError(kind)
    return run


def position(largest: bool) -> SeriesFn:
    """argmax / argmin: the key value at the largest (smallest) point; the first on ties."""
    def run(call, values, weights, keys):
        x = ordered_keys(keys, call.func.text)
        fill = -np.inf if largest else np.inf
        picked = np.where(weights > 0, np.nan_to_num(values, nan=fill), fill)
        best = picked.argmax(axis=1) if largest else picked.argmin(axis=1)
        found = np.isfinite(picked.max(axis=1) if largest else picked.min(axis=1))
        return np.where(found, x[best], np.nan)
    return run


def first_reaching(call, values, weights, keys):
    """The smallest key value whose point reaches `level`; NaN when none does."""
    x = ordered_keys(keys, "first_reaching")
    level = float(call.kwarg("level").value)
    reached = (weights > 0) & (np.nan_to_num(values, nan=-np.inf) >= level)
    first = reached.argmax(axis=1)
    return np.where(reached.any(axis=1), x[first], np.nan)
