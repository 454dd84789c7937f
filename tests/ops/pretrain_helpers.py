"""What the train.pretrain run tests share: a tiny spec and a way to read saved weights.

The model is a 1-layer GPT-2 (n_embd 32, 64 positions) on a 512-entry tokenizer trained
in the same spec on a tenth of Shakespeare (~40k tokens, ~600 blocks of 64): a training
step takes milliseconds on a CPU.
"""
from __future__ import annotations

import json
from pathlib import Path

DATA = """\
data:
  corpus: {text: "{shared}/corpora/tinyshakespeare.txt", split: {train: 0.1, heldout: 0.9}}
  pairs: {jsonl: "{shared}/blimp/adjunct_island.jsonl"}
models:
  tiny: {init: gpt2, n_layer: 1, n_embd: 32, n_head: 2, n_positions: 64, dropout: %(dropout)s}
  tiny_opt: {init: opt, n_layer: 1, n_embd: 32, n_head: 2, n_positions: 64}
  tiny_llama: {init: llama, n_layer: 1, n_embd: 32, n_head: 2, n_positions: 64}
"""

TOKENIZER = "  tok: {op: train.tokenizer, data: corpus.train, vocab_size: 512}\n"

# A pretrain stage's params unless a test says otherwise.
PRETRAIN = {"op": "train.pretrain", "model": "tiny", "tokenizer": "tok", "data": "corpus.train",
            "batch_size": 8, "block_size": 64, "lr": 3.0e-3}


def pretrain(name: str, **params) -> str:
    """A spec line for a train.pretrain stage (JSON is a YAML flow mapping); None = null."""
    return f"  {name}: {json.dumps({**PRETRAIN, **params})}\n"


def spec(stages: str, dropout: float = 0.0, conditions: str = "") -> str:
    """A spec body for OpRun: the data, the tiny model, the tokenizer stage and `stages`
    (lines of `  name: {...}`)."""
    return DATA % {"dropout": dropout} + conditions + "stages:\n" + TOKENIZER + stages


def weights(folder: Path) -> dict:
    from safetensors.torch import load_file
    return load_file(str(folder / "model.safetensors"))


def same_weights(a: dict, b: dict) -> bool:
    import torch
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
