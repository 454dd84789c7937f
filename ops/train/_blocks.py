"""Training data for train.pretrain: texts packed into blocks, and the order blocks train in.

    blocks = pack(tok, texts, block_size)        LongTensor [n_blocks, block_size]
    order = BlockOrder(len(blocks), len(inject), fraction, seed)
    order.positions(start, stop)                 [(source, index)] for positions start..stop-1
    batches = StepBatches(blocks, inject, order, rows)
    batches(step)                                (the step's blocks, injected blocks so far)

Packing (as nanoGPT and GPT-2): tokenize every text, join them with EOS into one
stream, cut the stream into consecutive blocks of `block_size` tokens and drop the
ragged tail. A block may span two texts; every block is trained on once per epoch.

Order. Training sees a sequence of block positions 0, 1, 2 ... (step s uses positions
s·B .. s·B+B-1, B = batch_size × grad_accum). Position i is an injected block when
floor((i+1)·f) > floor(i·f): so after n positions exactly floor(n·f) blocks were
injected, within one block of the declared fraction at every step and checkpoint.
Otherwise position i is the training block at i in the seeded epoch order. Injection
REPLACES blocks and never shifts the others: a run with fraction 0 (the control) and
one with f > 0 train on the same blocks in the same order apart from the replaced
ones. Both sources cycle over epochs, each epoch a fresh seeded permutation, so the
block at a position depends only on (seed, position), never on what ran before: a
resumed run needs no data state beyond its step.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

TRAIN, INJECT = 0, 1  # the two sources; also the streams of the seeded permutations


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


class BlockOrder:
    """Which block (source, index) trains at each position of a run."""

    def __init__(self, n_train: int, n_inject: int, fraction: float, seed: int):
        if n_train < 1:
            raise ValueError("no training block: the data is shorter than one block")
        # The decimal the spec wrote, exactly (0.29 * 100 is 28.999... in floats).
        self.fraction = Fraction(str(fraction))
        if self.fraction and n_inject < 1:
            raise ValueError("no block to inject: the inject data is shorter than one block")
        self.sizes = {TRAIN: n_train, INJECT: n_inject}
        self.seed = seed
        self._perms: dict[tuple[int, int], Any] = {}  # (source, epoch) -> permutation

    def injected_before(self, position: int) -> int:
        """Injected blocks among positions 0 .. position-1."""
        return (position * self.fraction.numerator) // self.fraction.denominator

    def is_injected(self, position: int) -> bool:
        return self.injected_before(position + 1) > self.injected_before(position)

    def positions(self, start: int, stop: int) -> list[tuple[int, int]]:
        """(source, block index) for positions start .. stop-1."""
        out = []
        for i in range(start, stop):
            if self.is_injected(i):
                out.append((INJECT, self._nth(INJECT, self.injected_before(i))))
            else:
                out.append((TRAIN, self._nth(TRAIN, i)))
        return out

    def _nth(self, source: int, n: int) -> int:
        """The n-th block of a source's endless sequence of seeded epochs."""
        size = self.sizes[source]
        epoch, offset = divmod(n, size)
        return int(self._perm(source, epoch)[offset])

    def _perm(self, source: int, epoch: int):
        import numpy as np
        key = (source, epoch)
        if key not in self._perms:
            if len(self._perms) > 4:  # positions only move forward: old epochs are done
                self._perms.clear()
            # One independent stream per (seed, source, epoch): a position's block never
            # depends on the other source, the fraction, or where training resumed.
            rng = np.random.default_rng([self.seed, source, epoch])
            self._perms[key] = rng.permutation(self.sizes[source])
        return self._perms[key]


class StepBatches:
    """The blocks of each optimiser step: `rows` consecutive positions of the order."""

    def __init__(self, train_blocks, inject_blocks, order: BlockOrder, rows: int):
        import torch
        # One table of both sources: an injected block's index is offset past the training ones.
        self.blocks = torch.cat([train_blocks, inject_blocks])
        self.offset = {TRAIN: 0, INJECT: len(train_blocks)}
        self.order, self.rows = order, rows

    def __call__(self, step: int):
        """(LongTensor [rows, block_size], injected blocks up to and including this step)."""
        import torch
        picks = self.order.positions(step * self.rows, (step + 1) * self.rows)
        index = torch.tensor([self.offset[source] + i for source, i in picks])
        return self.blocks[index], self.order.injected_before((step + 1) * self.rows)
