"""Synthetic tables with known answers: 2 models x 3 seeds x 40 items in 10 paradigms."""
import numpy as np
import pandas as pd
import pytest

from specc.compiler.measure import parse_measure
from specc.verdicts import FrameTables, PreparedMeasure

N_ITEMS = 40
PARADIGMS = list("abcdefghij")


@pytest.fixture(scope="session")
def frames():
    rng = np.random.default_rng(0)
    n = N_ITEMS
    score = pd.DataFrame({
        "item": np.tile(np.arange(n), 6),
        "UID": np.tile(np.repeat(PARADIGMS, n // len(PARADIGMS)), 6),
        "model": np.repeat(["tiny", "small"], 3 * n),
        "seed": np.tile(np.repeat([1, 2, 3], n), 2),
        "checkpoint": 300,
        "correct": rng.random(6 * n) < np.where(np.repeat(["tiny", "small"], 3 * n) == "small", 0.7, 0.55),
        "diff": rng.normal(size=6 * n),
    })
    humans = pd.DataFrame({"Condition": PARADIGMS, "total_mean": rng.random(len(PARADIGMS))})
    return {"score": score, "humans": humans}


@pytest.fixture(scope="session")
def tables(frames):
    return FrameTables(frames, {"score": ("model", "seed", "checkpoint")})


@pytest.fixture
def estimate(tables):
    def run(text, unit="item"):
        return PreparedMeasure(parse_measure(text), tables, unit).estimate()
    return run
