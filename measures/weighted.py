"""Statistics under integer frequency weights, many weight vectors at once.

Every function takes values `x` (K,) or (B, K) and weights `w` (B, K): row b of the
result is the statistic of the sample in which element k appears w[b, k] times.
That is exactly what a bootstrap resample is (units drawn with replacement), so a
whole batch of resamples is a few array operations, never B pandas group-bys. With
weights all 1 each function equals its scipy / numpy counterpart (tests check).
"""
from __future__ import annotations

import numpy as np

_CHUNK = 4_000_000   # elements of a (B, K, K) comparison processed at once


def mean(x, w):
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.nan_to_num(x) * w).sum(axis=1) / total, np.nan)


def var(x, w, ddof: int = 1):
    total = w.sum(axis=1)
    m = mean(x, w)
    dev = np.nan_to_num(x - m[:, None]) if np.ndim(x) == 2 else np.nan_to_num(x[None, :] - m[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > ddof, (w * dev ** 2).sum(axis=1) / (total - ddof), np.nan)


def pearson(x, y, w):
    mx, my = mean(x, w), mean(y, w)
    dx = np.nan_to_num(x - mx[:, None])
    dy = np.nan_to_num(y - my[:, None])
    cov = (w * dx * dy).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.sqrt((w * dx ** 2).sum(axis=1) * (w * dy ** 2).sum(axis=1))


def ranks(x, w):
    """Mid-ranks of each element within its weighted sample (ties share their mean rank)."""
    x = np.broadcast_to(x, w.shape)
    B, K = w.shape
    out = np.empty((B, K))
    step = max(1, _CHUNK // max(K * K, 1))
    for s in range(0, B, step):
        xs, ws = x[s:s + step], w[s:s + step]
        less = (xs[:, None, :] < xs[:, :, None])       # [b, i, j]: x_j < x_i
        equal = (xs[:, None, :] == xs[:, :, None])
        below = (less * ws[:, None, :]).sum(axis=2)
        ties = (equal * ws[:, None, :]).sum(axis=2)
        out[s:s + step] = below + (ties + 1) / 2
    return out


def spearman(x, y, w):
    return pearson(ranks(x, w), ranks(y, w), w)


def kendall(x, y, w):
    """Kendall's tau-b of the expanded sample (one scipy call per weight vector)."""
    from scipy.stats import kendalltau
    x, y = np.broadcast_to(x, w.shape), np.broadcast_to(y, w.shape)
    out = np.empty(w.shape[0])
    for b in range(w.shape[0]):
        reps = w[b].astype(int)
        out[b] = kendalltau(np.repeat(x[b], reps), np.repeat(y[b], reps)).statistic
    return out


def median(x, w):
    """Median of the expanded sample. `x` (K,) is sorted once; (B, K) is sorted per row."""
    if np.ndim(x) == 1:
        order = np.argsort(x, kind="stable")
        xs, ws = np.broadcast_to(x[order], w.shape), w[:, order]
    else:
        order = np.argsort(np.where(w > 0, x, np.inf), axis=1, kind="stable")
        xs, ws = np.take_along_axis(x, order, axis=1), np.take_along_axis(w, order, axis=1)
    cum = np.cumsum(ws, axis=1)
    total = cum[:, -1:]
    # The mean of the elements at 1-based positions floor((T+1)/2) and ceil((T+1)/2)
    # of the expanded sorted sample.
    lo = np.argmax(cum >= np.floor((total + 1) / 2), axis=1)
    hi = np.argmax(cum >= np.ceil((total + 1) / 2), axis=1)
    rows = np.arange(w.shape[0])
    out = (xs[rows, lo] + xs[rows, hi]) / 2
    return np.where(total[:, 0] > 0, out, np.nan)


def extreme(x, w, largest: bool):
    x = np.broadcast_to(x, w.shape)
    fill = -np.inf if largest else np.inf
    picked = np.where(w > 0, x, fill)
    out = picked.max(axis=1) if largest else picked.min(axis=1)
    return np.where(np.isfinite(out), out, np.nan)
