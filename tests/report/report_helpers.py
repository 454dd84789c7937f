"""Helpers of the report tests (a module of its own: every test folder has a `conftest`).

    fake_plan(stage=axes)   a plan as condition_summary sees it
    hyp(measure, expect)    a compiled hypothesis with that measure
    t_interval(values)      n, mean, 95% interval from scipy's one-sample t-test
    scores(rng)             an eval.logprob_pairs-like table with known structure
    SPEC                    a tiny spec (tiny ops) for compiled-plan tests
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

SPEC = """\
specc: 1
name: report-test
title: Report test
question: Does the report add up?
seed: 7
conditions:
  x: [1, 2]
  seed: [10, 2]
stages:
  values:
    op: tiny.value
    over: [x, seed]
    value: ${x}
    resources: {gpus: 1}
  total:
    op: tiny.sum
    of: values
budget: {gpu_hours: 2}
"""


def fake_plan(**stages: tuple[str, ...]):
    """A plan as condition_summary sees it: each stage's condition axes."""
    return SimpleNamespace(stages={name: SimpleNamespace(over=over) for name, over in stages.items()})


def t_interval(values) -> tuple[int, float, float, float]:
    """n, mean and 95% interval of the mean, the way scipy's one-sample t-test gives it."""
    values = np.asarray(values, dtype=float)
    ci = stats.ttest_1samp(values, 0.0).confidence_interval(0.95)
    return len(values), float(values.mean()), float(ci.low), float(ci.high)


def scores(rng, models=("tiny", "small"), checkpoints=(100, 200, 300), items=30,
           prompts=("", "So, ")) -> pd.DataFrame:
    """An eval.logprob_pairs-like table: one row per item x prompt per condition."""
    rows = []
    for model in models:
        for checkpoint in checkpoints:
            for item in range(items):
                for prompt in prompts:
                    p = 0.4 + checkpoint / 1000 + (0.05 if model == "small" else 0.0)
                    rows.append({"model": model, "seed": 1, "checkpoint": checkpoint, "item": item,
                                 "prompt": prompt, "correct": bool(rng.random() < p)})
    return pd.DataFrame(rows)


def hyp(measure: str, expect: str = "> 0.5"):
    """A compiled hypothesis of `measure` (what the report reads, never the text)."""
    from specc.compiler.spec_model import Decision, Hypothesis
    from specc.compiler.typed_hypothesis import compile_hypothesis
    return compile_hypothesis("H1", Hypothesis(statement="s", measure=measure, expect=expect), Decision())
