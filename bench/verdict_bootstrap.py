"""How long deciding a hypothesis takes: scipy's BCa bootstrap over items, with specc's
batched measure evaluation, against the obvious implementation (materialise each
resample as a pandas table and compute the measure on it).

    python bench/verdict_bootstrap.py [--items 12000] [--resamples 10000] [--naive 200]

The table looks like the flagship's: `items` items x 3 prompts x 2 models, a 0/1
`correct` column. Measures: mean(correct) where model == "a" (one aggregate) and
diff_means(a, b) (two arms sharing items: a paired bootstrap). The naive timing runs
`--naive` resamples and is scaled to `--resamples` (it is linear in them); both are
checked to agree on the same draws.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from specc.compiler.measure import parse_measure
from specc.verdicts import FrameTables, PreparedMeasure
from specc.verdicts.intervals import bootstrap

MEASURES = {
    "mean": 'mean(score.correct) where model == "a"',
    "diff_means": 'diff_means(score.correct where model == "a", score.correct where model == "b")',
}


def table(items: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = items * 3 * 2
    return pd.DataFrame({"item": np.tile(np.repeat(np.arange(items), 3), 2),
                         "prompt": np.tile([0, 1, 2], items * 2),
                         "model": np.repeat(["a", "b"], items * 3),
                         "correct": rng.random(n) < 0.6})


def naive(frame: pd.DataFrame, name: str, draws: np.ndarray) -> np.ndarray:
    """One pandas resample per draw: the rows of each drawn item, as often as drawn."""
    by_item = {k: g for k, g in frame.groupby("item")}
    items = list(by_item)
    out = []
    for draw in draws:
        picked = pd.concat([by_item[items[u]] for u in draw], ignore_index=True)
        a = picked[picked.model == "a"].correct.mean()
        out.append(a if name == "mean" else a - picked[picked.model == "b"].correct.mean())
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=12_000)
    ap.add_argument("--resamples", type=int, default=10_000)
    ap.add_argument("--naive", type=int, default=200, help="resamples the naive version runs")
    args = ap.parse_args()
    frame = table(args.items)
    tables = FrameTables({"score": frame}, {"score": ("model",)})
    print(f"{len(frame):,} rows, {args.items:,} items, {args.resamples:,} BCa resamples")
    print(f"{'measure':<12}{'specc s':>10}{'naive s (scaled)':>18}{'speed-up':>10}")
    for name, text in MEASURES.items():
        prepared = PreparedMeasure(parse_measure(text), tables, "item")
        t0 = time.perf_counter()
        outcome = bootstrap(prepared, "bca", 0.95, args.resamples, seed=1)
        ours = time.perf_counter() - t0
        draws = np.random.default_rng(2).integers(0, prepared.n_units, (args.naive, prepared.n_units))
        t0 = time.perf_counter()
        slow = naive(frame, name, draws)
        theirs = (time.perf_counter() - t0) * args.resamples / args.naive
        W = np.stack([np.bincount(d, minlength=prepared.n_units) for d in draws])
        assert np.allclose(prepared.evaluate(_reorder(W, prepared)), slow), "specc and naive disagree"
        print(f"{name:<12}{ours:>10.2f}{theirs:>18.1f}{theirs / ours:>9.0f}x   "
              f"interval [{outcome.interval.low:.4f}, {outcome.interval.high:.4f}]")


def _reorder(W: np.ndarray, prepared: PreparedMeasure) -> np.ndarray:
    """Draws index items 0..n-1; the measure numbers units in the order it met them."""
    position = np.array([prepared.units.index[i] for i in range(W.shape[1])])
    out = np.zeros_like(W)
    out[:, position] = W
    return out


if __name__ == "__main__":
    main()
