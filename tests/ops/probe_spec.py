"""A tiny spec for the probe ops' end-to-end tests: a BPE tokenizer on Shakespeare and two
4-block GPT-2s from config (different seeds), BLiMP anaphor agreement as the items."""
from __future__ import annotations

SPEC = """\
data:
  corpus: {{text: "{{shared}}/corpora/tinyshakespeare.txt", split: {{train: 0.02, rest: 0.98}}}}
  pairs: {{jsonl: "{{shared}}/blimp/anaphor_gender_agreement.jsonl", split: {{use: 0.06, rest: 0.94}}}}
models:
  tiny: {{init: gpt2, n_layer: 4, n_embd: 32, n_head: 2, n_positions: 64}}
  other: {{init: gpt2, n_layer: 4, n_embd: 32, n_head: 2, n_positions: 64}}
stages:
  tok: {{op: train.tokenizer, data: corpus.train, vocab_size: 400}}
{stages}"""

# A within-model direction stage on the items (every layer): read by the steering tests.
DIRECTIONS = """\
  dirs:
    op: probe.diff_means
    model: tiny
    tokenizer: tok
    data: pairs.use
    positive: sentence_good
    negative: sentence_bad
"""


def spec(stages: str) -> str:
    return SPEC.format(stages=stages)


def probe_run(root, store, stages: str):
    """Compile and run the tiny spec with `stages`, sharing `store` (one tokenizer)."""
    from op_runner import OpRun
    run = OpRun(root, spec(stages))
    run.store_root = store
    run.execute()
    return run
