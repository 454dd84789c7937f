"""How long deciding a series summary takes: the training-dynamics measure "tokens to reach
r = 0.5" — a Pearson correlation with a human table per checkpoint, then first_reaching —
with specc's per-slice cells and batched resamples; then the per-resample cost of the
curve's max against a hand-written numpy version (item means per checkpoint precomputed
once, each resample's correlations with np.corrcoef).

    python bench/verdict_series.py [--items 2000] [--prompts 5] [--checkpoints 10]
                                   [--resamples 2000] [--naive 20]

Both are checked to give the same values on the same draws (`--naive` of them).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from specc.compiler.measure import parse_measure
from specc.verdicts import FrameTables, PreparedMeasure
from specc.verdicts.intervals import bootstrap

MEASURE = "first_reaching(pearson(score.pref by item, humans.pref by item) per tokens, level=0.5)"
CURVE = "max(pearson(score.pref by item, humans.pref by item) per tokens)"


def tables(items: int, prompts: int, checkpoints: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    human = rng.normal(size=items)
    tokens = 1000 * 2 ** np.arange(checkpoints)
    n = items * prompts * checkpoints
    growth = np.repeat(np.linspace(0.1, 1.5, checkpoints), items * prompts)
    item = np.tile(np.repeat(np.arange(items), prompts), checkpoints)
    score = pd.DataFrame({"tokens": np.repeat(tokens, items * prompts), "item": item,
                          "pref": human[item] * growth + rng.normal(size=n) * 2})
    return score, pd.DataFrame({"item": np.arange(items), "pref": human})


def by_hand(score: pd.DataFrame, humans: pd.DataFrame, draws: np.ndarray) -> np.ndarray:
    """Per draw: the drawn items' rows (each copy a new item), every checkpoint's r, the max."""
    means = score.groupby(["tokens", "item"]).pref.mean().unstack("item")   # checkpoints x items
    human = humans.set_index("item").pref
    out = []
    for draw in draws:
        m, h = means.iloc[:, draw].to_numpy(), human.iloc[draw].to_numpy()
        out.append(max(np.corrcoef(row, h)[0, 1] for row in m))
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--prompts", type=int, default=5)
    ap.add_argument("--checkpoints", type=int, default=10)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--naive", type=int, default=20, help="resamples compared with the hand-written version")
    args = ap.parse_args()
    score, humans = tables(args.items, args.prompts, args.checkpoints)
    frames = FrameTables({"score": score, "humans": humans}, {"score": ("tokens",)})
    print(f"{len(score):,} rows, {args.items:,} items x {args.prompts} prompts x {args.checkpoints} "
          f"checkpoints, {args.resamples:,} resamples (percentile: a key position has no BCa)")
    t0 = time.perf_counter()
    prepared = PreparedMeasure(parse_measure(MEASURE), frames, "item")
    prep = time.perf_counter() - t0
    t0 = time.perf_counter()
    outcome = bootstrap(prepared, "percentile", 0.95, args.resamples, seed=1)
    ours = time.perf_counter() - t0
    print(f"prepare (cells of {args.checkpoints} slices): {prep:.2f} s; bootstrap: {ours:.2f} s; "
          f"estimate {prepared.estimate():g} tokens, interval [{outcome.interval.low:g}, "
          f"{outcome.interval.high:g}]")
    curve = PreparedMeasure(parse_measure(CURVE), frames, "item")
    draws = np.random.default_rng(2).integers(0, args.items, (args.naive, args.items))
    t0 = time.perf_counter()
    slow = by_hand(score, humans, draws)
    theirs = (time.perf_counter() - t0) * args.resamples / args.naive
    position = np.array([curve.units.index[i] for i in range(args.items)])
    W = np.zeros((args.naive, args.items))
    for b, d in enumerate(draws):
        np.add.at(W[b], position[d], 1)
    t0 = time.perf_counter()
    fast = curve.evaluate(W)
    per_resample = (time.perf_counter() - t0) / args.naive
    assert np.allclose(fast, slow), "specc and naive disagree"
    print(f"max of the curve per resample: specc {per_resample * 1e3:.1f} ms, by hand (numpy) "
          f"{theirs / args.resamples * 1e3:.1f} ms; values equal")


if __name__ == "__main__":
    main()
