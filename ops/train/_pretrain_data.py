"""What train.pretrain trains on: its corpus and inject sources packed into shards in the
store, the block order, and the injection it realises.

    data = training_data(p, ctx, tok, tokenizer_id, seed)
    data.sources, data.order          for _blocks.StepBatches
    data.blocks_per_epoch             blocks one pass over the (mixed) corpus holds
    data.step_batches(rows)           the loop's `batches(step)`
    data.realised(history)            injection per checkpoint, for checkpoints.json

Two ways to inject (`inject.mode`):

* `replace_blocks`: a fraction of training *blocks* is drawn from the inject sources
  instead (positions spread evenly; `_blocks.BlockOrder`);
* `insert_documents`: injected documents are inserted between corpus documents, so the
  declared fraction is a fraction of documents (`fraction_of: documents`) or of tokens
  (`fraction_of: tokens`); the mixed stream is then packed and ordered like any corpus
  (`_mixing.MixedStream`).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from ._blocks import BlockOrder, StepBatches
from ._mixing import MixedBlocks, MixedStream
from ._shards import StreamBlocks, packed_corpus


@dataclass
class TrainingData:
    sources: list[Any]
    order: BlockOrder
    mode: str | None                   # None (no inject), replace_blocks, insert_documents
    mixed: MixedStream | None = None
    facts: dict[str, Any] | None = None

    @property
    def blocks_per_epoch(self) -> int:
        return len(self.sources[0])

    def steps_for(self, epochs: float, rows: int) -> int:
        """Optimiser steps of `epochs` passes over the training blocks (at least one)."""
        return max(1, math.ceil(epochs * self.blocks_per_epoch / rows))

    def step_batches(self, rows: int):
        batches = StepBatches(self.sources, self.order, rows)
        if self.mode != "insert_documents":
            return batches
        blocks: MixedBlocks = self.sources[0]

        def with_injected_tokens(step: int):
            # Per step, the tokens of injected documents among its blocks (summed afterwards:
            # the history survives a resume, a running total would not).
            x, _ = batches(step)
            picks = self.order.positions(step * rows, (step + 1) * rows)
            return x, blocks.injected_tokens(i for _s, i in picks)
        return with_injected_tokens

    def realised(self, history: list[dict], checkpoints: list[int], rows: int) -> list[dict]:
        """checkpoints.json rows: step, tokens and the injection realised up to each."""
        at = {row["step"]: row for row in history}
        out = []
        if self.mode == "insert_documents":
            total = 0
            cumulative = {}
            for row in history:
                total += row.pop("injected_blocks")
                row["injected_tokens"] = total
                cumulative[row["step"]] = total
            for c in checkpoints:
                out.append({"step": c, "tokens": at[c]["tokens"], "injected_tokens": cumulative[c],
                            "injected_token_share": cumulative[c] / at[c]["tokens"],
                            "stream": self.mixed.realised()})
            return out
        for c in checkpoints:
            row = {"step": c, "tokens": at[c]["tokens"], "injected_blocks": at[c]["injected_blocks"]}
            if self.mode == "replace_blocks":
                row["injected_block_share"] = at[c]["injected_blocks"] / (c * rows)
            out.append(row)
        return out


def training_data(p, ctx, tok, tokenizer_id: str, seed: int) -> TrainingData:
    corpus = packed_corpus(ctx, p.data, p.text_field, tok, tokenizer_id, p.text_documents)
    injects = p.injects
    mode = injects[0].mode if injects else None
    streams = [packed_corpus(ctx, i.data, i.text_field, tok, tokenizer_id, p.text_documents, i.template)
               for i in injects]
    facts: dict[str, Any] = {"corpus_tokens": corpus.n_tokens, "corpus_documents": corpus.n_docs,
                             "inject_mode": mode}
    if mode == "insert_documents":
        unit = injects[0].fraction_of or "documents"
        key = hashlib.sha256(json.dumps({
            "corpus": corpus.folder.name, "injects": [[s.folder.name, i.fraction] for s, i in zip(streams, injects)],
            "unit": unit, "seed": seed}, sort_keys=True).encode()).hexdigest()
        mixed = MixedStream.build(ctx.shared_folder("mixed", key), corpus,
                                  [(s, i.fraction) for s, i in zip(streams, injects)], unit, seed)
        blocks = MixedBlocks(mixed, p.block_size)
        order = BlockOrder(_at_least_one(len(blocks)), seed=seed)
        facts.update(injection=mixed.realised(), train_blocks=len(blocks))
        return TrainingData([blocks], order, mode, mixed, facts)
    train_blocks = StreamBlocks(corpus, p.block_size)
    inject_blocks = [StreamBlocks(s, p.block_size) for s in streams]
    order = BlockOrder(_at_least_one(len(train_blocks)), [len(b) for b in inject_blocks],
                       [i.fraction for i in injects], seed)
    facts.update(train_blocks=len(train_blocks), inject_blocks_available=[len(b) for b in inject_blocks])
    return TrainingData([train_blocks, *inject_blocks], order, mode, None, facts)


def _at_least_one(n: int) -> int:
    if n < 1:
        raise ValueError("no training block: the data is shorter than one block")
    return n
