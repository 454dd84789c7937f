"""SFT replay reaches every micro-batch: ReplaySampler's row order."""
from __future__ import annotations

from specc.ops.train._replay import ReplaySampler, mix_replay


def batches(order: list[int], size: int) -> list[list[int]]:
    return [order[i:i + size] for i in range(0, len(order), size)]


def test_every_batch_of_16_holds_exactly_4_replay_rows_at_ratio_a_quarter():
    n_task = 120
    rows, n_replay = mix_replay({"text": [f"t{i}" for i in range(n_task)]},
                                [{"text": f"r{i}"} for i in range(50)], 0.25, seed=1)
    assert n_replay == 40                        # 25% of 160 rows
    order = list(ReplaySampler(n_task, n_replay, 0.25, seed=1))
    for batch in batches(order, 16):
        assert sum(i >= n_task for i in batch) == 4, batch


def test_each_row_once_per_epoch_in_a_fresh_seeded_order():
    sampler = ReplaySampler(30, 10, 0.25, seed=3)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(40))
    assert first != second                       # a new shuffle every epoch
    again = ReplaySampler(30, 10, 0.25, seed=3)
    assert list(again) == first                  # same seed, same epochs, same orders
    assert list(ReplaySampler(30, 10, 0.25, seed=4)) != first


def test_a_batch_size_that_does_not_divide_gets_floor_or_ceil_of_its_share():
    n_task, n_replay, size = 70, 30, 8           # 8 x 0.3 = 2.4 replay rows per batch
    order = list(ReplaySampler(n_task, n_replay, 0.3, seed=0))
    for batch in batches(order, size)[:-1]:
        assert sum(i >= n_task for i in batch) in (2, 3)


def test_when_replay_runs_out_task_rows_fill_the_rest():
    order = list(ReplaySampler(10, 1, 0.5, seed=0))
    assert sorted(order) == list(range(11)) and order[1] == 10   # slot 2 is the only replay
