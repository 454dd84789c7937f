"""Training data for train.pretrain: the order blocks train in, and packing in memory.

    order = BlockOrder(n_train, [n_inject_1, ...], [fraction_1, ...], seed)
    order.positions(start, stop)            [(source, index)] for positions start..stop-1
    batches = StepBatches([train_blocks, inject_blocks_1, ...], order, rows)
    batches(step)                           (the step's blocks, injected blocks so far)

A block source is anything with `len()` and `gather(indices) -> LongTensor [k, block]`:
`_shards.StreamBlocks` (a corpus in the store, read on demand) or `TensorBlocks` (blocks
in memory, `pack`: the tests' reference for the streamed path).

Packing (as nanoGPT and GPT-2): tokenize every text, join them with EOS into one
stream, cut the stream into consecutive blocks of `block_size` tokens and drop the
ragged tail. A block may span two texts; every block is trained on once per epoch.

Order. Training sees a sequence of block positions 0, 1, 2 ... (step s uses positions
s·B .. s·B+B-1, B = batch_size × grad_accum). With injection by block replacement,
position i is an injected block when floor((i+1)·F) > floor(i·F), F the sum of the
sources' fractions: after n positions exactly floor(n·F) blocks were injected, within
one block of the declared fraction at every step and checkpoint. The m-th injected
block comes from the source a fixed interleaving pattern names (largest remainder over
the sources' shares, repeating), so each source keeps its own share to within one block
too. Otherwise position i is the training block at i in the seeded epoch order.
Injection REPLACES blocks and never shifts the others: a run with fraction 0 (the
control) and one with f > 0 train on the same blocks in the same order apart from the
replaced ones. Every source cycles over epochs, each epoch a fresh seeded permutation
(a Feistel network over the block indices: no table of the whole epoch in memory), so
the block at a position depends only on (seed, position), never on what ran before: a
resumed run needs no data state beyond its step.
"""
from __future__ import annotations

import hashlib
from fractions import Fraction
from functools import lru_cache
from math import lcm
from typing import Any, Sequence

TRAIN = 0  # source 0 is the training data; injected sources are 1, 2 ...
MAX_PATTERN = 1 << 20  # longest interleaving pattern of several injected sources


def token_stream(tokenizer: Any, texts: list[str]):
    """The texts' tokens (int64 array), one text after another, separated by EOS."""
    import numpy as np
    # No special tokens per text (a hub tokenizer may add BOS): EOS alone marks where
    # one document ends and the next begins.
    ids = tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"] if texts else []
    if len(ids) > 1 and tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer defines no EOS token to separate documents with; "
                         "give it one (train.tokenizer's first special token is EOS)")
    parts = []
    for k, doc in enumerate(ids):
        if k:
            parts.append(np.array([tokenizer.eos_token_id], dtype=np.int64))
        parts.append(np.asarray(doc, dtype=np.int64))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def pack(tokenizer: Any, texts: list[str], block_size: int):
    """Texts as consecutive blocks of `block_size` tokens (the ragged tail is dropped)."""
    import torch
    stream = token_stream(tokenizer, texts)
    n = len(stream) // block_size
    return torch.from_numpy(stream[: n * block_size].copy()).view(n, block_size)


class TensorBlocks:
    """Blocks held in memory (a LongTensor [n, block_size]) as a block source."""

    def __init__(self, blocks):
        self.blocks = blocks

    def __len__(self) -> int:
        return len(self.blocks)

    def gather(self, indices):
        import torch
        return self.blocks[torch.as_tensor(list(indices), dtype=torch.long)]


# -- seeded permutations without a table ------------------------------------------------

def _mix(x, salt: int):
    """splitmix64's finaliser over a uint64 array (wrapping arithmetic)."""
    import numpy as np
    with np.errstate(over="ignore"):
        z = x + np.uint64(salt)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


@lru_cache(maxsize=1024)
def _salts(key: int) -> tuple[int, ...]:
    return tuple(int.from_bytes(hashlib.sha256(f"{key}/{r}".encode()).digest()[:8], "little") for r in range(4))


def permute(indices, n: int, key: int):
    """A seeded bijection of 0..n-1 applied to `indices`: a 4-round Feistel network on the
    smallest even power of two >= n, walked until the value falls below n."""
    import numpy as np
    x = np.asarray(indices, dtype=np.uint64)
    if n <= 1:
        return x.astype(np.int64)
    half = max(1, ((n - 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    salts = _salts(key)
    out = x.copy()
    todo = np.ones(len(x), dtype=bool)
    while todo.any():
        v = out[todo]
        left, right = v >> np.uint64(half), v & mask
        for salt in salts:
            left, right = right, left ^ (_mix(right, salt) & mask)
        v = (left << np.uint64(half)) | right
        out[todo] = v
        todo[todo] = v >= np.uint64(n)  # cycle-walking: a bijection of 0..n-1 in the end
    return out.astype(np.int64)


def _epoch_key(seed: int, source: int, epoch: int) -> int:
    # One independent stream per (seed, source, epoch): a position's block never depends
    # on another source, the fraction, or where training resumed.
    return int.from_bytes(hashlib.sha256(f"{seed}/{source}/{epoch}".encode()).digest()[:8], "little")


class BlockOrder:
    """Which block (source, index) trains at each position of a run."""

    def __init__(self, n_train: int, inject_sizes: Sequence[int] = (), fractions: Sequence[float] = (),
                 seed: int = 0):
        if n_train < 1:
            raise ValueError("no training block: the data is shorter than one block")
        # The decimals the spec wrote, exactly (0.29 * 100 is 28.999... in floats).
        self.fractions = [Fraction(str(f)) for f in fractions]
        self.fraction = sum(self.fractions, Fraction(0))
        if self.fraction >= 1:
            raise ValueError(f"injected fractions add up to {float(self.fraction):g}; they must stay below 1")
        for size, frac in zip(inject_sizes, self.fractions):
            if frac and size < 1:
                raise ValueError("no block to inject: the inject data is shorter than one block")
        self.sizes = [n_train, *inject_sizes]
        self.seed = seed
        self._pattern, self._counts = self._interleaving()

    def _interleaving(self):
        """Sources (1-based) of one cycle of injected slots, and each source's count before
        every slot of the cycle: largest remainder over the shares, so each source stays
        within one block of its share at every point."""
        active = [(j + 1, f / self.fraction) for j, f in enumerate(self.fractions) if f] if self.fraction else []
        if len(active) <= 1:
            return [active[0][0]] if active else [], None
        period = lcm(*(share.denominator for _j, share in active))
        if period > MAX_PATTERN:
            raise ValueError("the injected fractions interleave only over more than a million blocks; "
                             "round them to fewer decimals")
        taken = {j: 0 for j, _share in active}
        pattern, before = [], []
        for m in range(period):
            before.append(dict(taken))
            j = max(active, key=lambda js: (js[1] * (m + 1) - taken[js[0]], -js[0]))[0]
            pattern.append(j)
            taken[j] += 1
        return pattern, (before, taken)

    def injected_before(self, position: int) -> int:
        """Injected blocks among positions 0 .. position-1."""
        return (position * self.fraction.numerator) // self.fraction.denominator

    def is_injected(self, position: int) -> bool:
        return self.injected_before(position + 1) > self.injected_before(position)

    def _slot(self, m: int) -> tuple[int, int]:
        """(source, its count before) of the m-th injected block."""
        if self._counts is None:
            return self._pattern[0], m
        before, per_cycle = self._counts
        cycle, k = divmod(m, len(self._pattern))
        j = self._pattern[k]
        return j, cycle * per_cycle[j] + before[k][j]

    def positions(self, start: int, stop: int) -> list[tuple[int, int]]:
        """(source, block index) for positions start .. stop-1."""
        picks: list[tuple[int, int]] = []
        for i in range(start, stop):
            if self.is_injected(i):
                picks.append(self._slot(self.injected_before(i)))
            else:
                picks.append((TRAIN, i))
        # Translate each source's running count into its seeded epoch order, in one pass.
        out: list[tuple[int, int]] = [(0, 0)] * len(picks)
        for source in {s for s, _n in picks}:
            where = [k for k, (s, _n) in enumerate(picks) if s == source]
            for k, block in zip(where, self._nth(source, [picks[k][1] for k in where])):
                out[k] = (source, int(block))
        return out

    def _nth(self, source: int, ns: list[int]):
        """The n-th blocks of a source's endless sequence of seeded epochs."""
        import numpy as np
        size = self.sizes[source]
        ns = np.asarray(ns, dtype=np.int64)
        epochs, offsets = np.divmod(ns, size)
        out = np.empty(len(ns), dtype=np.int64)
        for epoch in np.unique(epochs):
            sel = epochs == epoch
            out[sel] = permute(offsets[sel], size, _epoch_key(self.seed, source, int(epoch)))
        return out


class StepBatches:
    """The blocks of each optimiser step: `rows` consecutive positions of the order."""

    def __init__(self, sources: Sequence[Any], order: BlockOrder, rows: int):
        self.sources, self.order, self.rows = list(sources), order, rows

    def __call__(self, step: int):
        """(LongTensor [rows, block_size], injected blocks up to and including this step)."""
        import torch
        picks = self.order.positions(step * self.rows, (step + 1) * self.rows)
        parts: dict[int, list[int]] = {}
        for k, (source, index) in enumerate(picks):
            parts.setdefault(source, []).append(k)
        rows: list[Any] = [None] * len(picks)
        for source, where in parts.items():
            got = self.sources[source].gather([picks[k][1] for k in where])
            for k, row in zip(where, got):
                rows[k] = row
        return torch.stack(rows), self.order.injected_before((step + 1) * self.rows)
