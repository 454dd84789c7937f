"""General-data replay: `replay.ratio` of the training examples are plain text.

SFT mixes replay rows into its dataset (`mix_replay`); DPO and ORPO, whose TRL losses take
only pairs, draw replay examples beside each batch (`ReplayStream`) for an extra
next-token loss. Both keep the replay share at `ratio` exactly.
"""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
from finetune_runs import PREFERENCE_FIELDS, SFT_FIELDS, facts, finetune_run, history

from specc.ops.train._replay import ReplayStream, mix_replay, replay_per_example


def _rows(n):
    return {"prompt": [f"p{i}" for i in range(n)], "completion": [f"c{i}" for i in range(n)]}


def _replay(n):
    return [{"prompt": "", "completion": f"text{i}"} for i in range(n)]


@pytest.mark.parametrize("ratio, task, expected", [(0.25, 300, 100), (0.1, 90, 10), (0.5, 7, 7),
                                                   (0.2, 3, 1), (0.0, 50, 0)])
def test_mix_adds_the_share_of_replay_rows(ratio, task, expected):
    mixed, n = mix_replay(_rows(task), _replay(500), ratio, seed=0)
    assert n == expected and len(mixed["prompt"]) == task + n
    assert sum(p == "" for p in mixed["prompt"]) == n
    if task % 10 == 0:
        assert n / (task + n) == pytest.approx(ratio)


def test_mix_draws_without_repeats_while_replay_lasts_and_is_seeded():
    mixed, n = mix_replay(_rows(300), _replay(150), 0.25, seed=1)
    texts = mixed["completion"][300:]
    assert len(set(texts)) == n == 100
    assert mix_replay(_rows(300), _replay(150), 0.25, seed=1)[0] == mixed
    assert mix_replay(_rows(300), _replay(150), 0.25, seed=2)[0] != mixed
    short, n = mix_replay(_rows(300), _replay(40), 0.25, seed=1)  # 100 rows from 40 texts
    counts = [short["completion"][300:].count(f"text{i}") for i in range(40)]
    assert n == 100 and set(counts) <= {2, 3}  # whole passes before any text repeats a third time


def test_replay_per_example_is_exact():
    assert replay_per_example(0.25) == Fraction(1, 3)
    assert replay_per_example(0.1) == Fraction(1, 9)  # from "0.1", not its binary float


def test_stream_keeps_the_share_at_every_batch():
    stream = ReplayStream([[i, i] for i in range(7)], 0.25, seed=0)
    drawn = [len(stream.take(4)) for _ in range(750)]  # 3,000 pairs
    assert sum(drawn) == stream.drawn == 1000 and stream.pairs == 3000
    assert set(drawn) == {1, 2}  # 4/3 per batch of 4, carried over exactly
    running = 0
    for i, k in enumerate(drawn, 1):
        running += k
        assert running == math.floor(4 * i / 3)


def test_stream_passes_over_every_chunk_before_repeating():
    stream = ReplayStream([[i, i] for i in range(10)], 0.5, seed=3)
    first = [c[0] for c in stream.take(10)]
    assert sorted(first) == list(range(10))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    replay = "replay: {data: corpus, ratio: 0.5}"  # one replay example per pair
    run = finetune_run(tmp_path_factory.mktemp("replay"), f"""\
  sft:
    op: train.sft
{{common}}    data: prefs
    fields: {SFT_FIELDS}
    {replay}
    steps: 2
  dpo:
    op: train.dpo
{{common}}    data: prefs
    fields: {PREFERENCE_FIELDS}
    {replay}
    steps: 3
  orpo:
    op: train.orpo
{{common}}    data: prefs
    fields: {PREFERENCE_FIELDS}
    {replay}
    steps: 3
""")
    run.execute()
    return run


def test_sft_mixes_replay_rows_into_its_data(run):
    f = facts(run, "sft")
    assert f["examples"] == 40 and f["replay_examples"] == 40 and f["replay_share"] == 0.5


@pytest.mark.parametrize("stage", ["dpo", "orpo"])
def test_preference_trainers_add_a_replay_loss(run, stage):
    f = facts(run, stage)
    assert f["replay_pairs"] == 3 * 4 and f["replay_examples"] == 12 and f["replay_share"] == 0.5
    h = history(run, stage)
    assert all(math.isfinite(v) and v > 0 for v in h["replay_loss"])
    assert all(math.isfinite(v) for v in h["logp_chosen"])


def test_replay_examples_weigh_like_pairs(run):
    # DPO's loss is ln 2 before any update; 4 replay examples beside 4 pairs weigh 4/4.
    first = history(run, "dpo").iloc[0]
    assert first["loss"] == pytest.approx(math.log(2) + first["replay_loss"], rel=1e-5)
