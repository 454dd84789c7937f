"""train.pretrain's data: packing texts into blocks, and the order blocks train in
(injection at a fixed fraction, the vanilla control, epochs). No model here."""
from __future__ import annotations

import math
from collections import Counter
from itertools import pairwise

import pytest
from specc.ops.train._blocks import TRAIN, BlockOrder, pack, token_stream

INJECT = 1  # the first (only) inject source


class CharTokenizer:
    """One token per character; EOS = 0."""

    eos_token_id = 0

    def __call__(self, texts, add_special_tokens=True, verbose=True):
        return {"input_ids": [[ord(c) for c in t] for t in texts]}


def test_texts_are_joined_with_eos_and_the_ragged_tail_dropped():
    tok = CharTokenizer()
    assert token_stream(tok, ["ab", "c", "de"]).tolist() == [97, 98, 0, 99, 0, 100, 101]
    blocks = pack(tok, ["ab", "c", "de"], 3)
    assert blocks.tolist() == [[97, 98, 0], [99, 0, 100]]   # 101 is the ragged tail
    assert pack(tok, ["abcdef"], 3).tolist() == [[97, 98, 99], [100, 101, 102]]  # one text: no EOS


def test_several_texts_need_an_eos_token():
    tok = CharTokenizer()
    tok.eos_token_id = None
    assert pack(tok, ["abcd"], 2).shape == (2, 2)  # one text needs no separator
    with pytest.raises(ValueError, match="no EOS token"):
        pack(tok, ["ab", "cd"], 2)


@pytest.mark.parametrize("fraction", [0.01, 0.03, 0.05, 0.1, 0.29, 0.5, 0.77])
def test_injected_share_is_the_fraction_within_one_block_at_every_step(fraction):
    order = BlockOrder(97, [13], [fraction], seed=0)
    rows, injected = 8, 0
    for step in range(200):
        picks = order.positions(step * rows, (step + 1) * rows)
        injected += sum(src == INJECT for src, _ in picks)
        seen = (step + 1) * rows
        assert abs(injected - fraction * seen) < 1          # every checkpoint has its share
        assert injected == order.injected_before(seen) == math.floor(seen * fraction + 1e-9)


def test_injected_blocks_are_spread_evenly():
    order = BlockOrder(100, [10], [0.05], seed=3)
    where = [i for i, (src, _) in enumerate(order.positions(0, 1000)) if src == INJECT]
    assert len(where) == 50 and {b - a for a, b in pairwise(where)} == {20}


def test_injection_replaces_blocks_and_never_shifts_the_others():
    vanilla = BlockOrder(50, [7], [0.0], seed=11).positions(0, 400)
    mixed = BlockOrder(50, [7], [0.1], seed=11).positions(0, 400)
    assert all(src == TRAIN for src, _ in vanilla)
    replaced = [i for i, (src, _) in enumerate(mixed) if src == INJECT]
    assert len(replaced) == 40
    assert all(mixed[i] == vanilla[i] for i in range(400) if i not in set(replaced))


def test_order_is_determined_by_the_seed_alone():
    a = BlockOrder(60, [9], [0.2], seed=5).positions(0, 300)
    assert BlockOrder(60, [9], [0.2], seed=5).positions(0, 300) == a
    assert BlockOrder(60, [9], [0.2], seed=6).positions(0, 300) != a
    # A run that starts in the middle (resume) sees the same blocks as one that got there.
    assert BlockOrder(60, [9], [0.2], seed=5).positions(150, 300) == a[150:]


def test_sources_cycle_over_reshuffled_epochs():
    n = 20
    picks = [i for _, i in BlockOrder(n, [0], [0.0], seed=1).positions(0, 3 * n)]
    epochs = [picks[k * n:(k + 1) * n] for k in range(3)]
    assert all(sorted(e) == list(range(n)) for e in epochs)  # each block once per epoch
    assert epochs[0] != epochs[1] != epochs[2]               # a fresh order each epoch
    # The injected source cycles the same way, through its own epochs.
    injected = [i for src, i in BlockOrder(n, [4], [0.5], seed=1).positions(0, 80) if src == INJECT]
    assert len(injected) == 40 and Counter(injected) == {0: 10, 1: 10, 2: 10, 3: 10}


def test_empty_sources_fail_clearly():
    with pytest.raises(ValueError, match="shorter than one block"):
        BlockOrder(0, [5], [0.1], seed=0)
    with pytest.raises(ValueError, match="inject data is shorter"):
        BlockOrder(5, [0], [0.1], seed=0)
    assert BlockOrder(5, [0], [0.0], seed=0).positions(0, 3)  # the control needs no inject blocks
