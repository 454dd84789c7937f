"""A tiny fine-tuning spec for the run tests of train.sft, train.dpo and train.orpo.

    run = finetune_run(root, stages)   data, a 1-layer GPT-2 `tiny`, a 512-token tokenizer `tok`,
                                       plus the YAML `stages` given; run.execute() trains them
    starting_model(run, stage)         the config model a stage started from, rebuilt as the
                                       runtime built it (same seed, same vocabulary)
    weights(folder)                    a saved model's tensors by name
    history(run, stage)                the stage's history.parquet
    facts(run, stage)                  what the stage recorded (ctx.record) in its manifest

Data lives in the spec's folder: `prefs` holds 40 BLiMP agreement pairs (prompt
one_prefix_prefix, chosen/rejected one_prefix_word_good/bad, bare words that need
the one-space join); `corpus` is 40 kB of Shakespeare as plain text.
"""
from __future__ import annotations

from pathlib import Path

from op_runner import SHARED, OpRun

PAIRS = 40
DATA = """\
data:
  prefs: {jsonl: prefs.jsonl}
  corpus: {text: corpus.txt}
models:
  tiny: {init: gpt2, n_layer: 1, n_embd: 32, n_head: 2, n_positions: 64}
stages:
  tok: {op: train.tokenizer, data: corpus, vocab_size: 512}
"""
# What every fine-tuning stage of these tests shares (indented under a stage).
COMMON = """\
    model: tiny
    tokenizer: tok
    lr: 1.0e-3
    batch_size: 4
    max_length: 32
"""
PREFERENCE_FIELDS = "{prompt: one_prefix_prefix, chosen: one_prefix_word_good, rejected: one_prefix_word_bad}"
SFT_FIELDS = "{prompt: one_prefix_prefix, completion: one_prefix_word_good}"


def finetune_run(root: Path, stages: str, models: str = "") -> OpRun:
    """`models`: more `models:` entries, one per line, indented by two spaces."""
    blimp = (SHARED / "blimp" / "anaphor_gender_agreement.jsonl").read_text().splitlines()[:PAIRS]
    (root / "prefs.jsonl").write_text("\n".join(blimp) + "\n")
    (root / "corpus.txt").write_text((SHARED / "corpora" / "tinyshakespeare.txt").read_text()[:40_000])
    data = DATA.replace("stages:\n", models + "stages:\n")
    return OpRun(root, data + stages.replace("{common}", COMMON))


def starting_model(run: OpRun, stage: str):
    from specc.runtime.models import build_model
    from specc.runtime.payload import PayloadBuilder
    from transformers import AutoTokenizer
    payload = PayloadBuilder(run.plan, str(run.store_root), cpu_only=True).build(run.tasks(stage)[0])
    vocab = len(AutoTokenizer.from_pretrained(str(run.folder("tok") / "tokenizer")))
    return build_model(payload.models["tiny"], vocab, seed=payload.seed)


def weights(folder: Path) -> dict:
    from safetensors.torch import load_file
    return load_file(str(folder / "model.safetensors"))


def differs(a: dict, b: dict) -> bool:
    import torch
    assert a.keys() == b.keys()
    return any(not torch.equal(a[k], b[k]) for k in a)


def history(run: OpRun, stage: str):
    import pandas as pd
    return pd.read_parquet(run.folder(stage) / "history.parquet")


def facts(run: OpRun, stage: str) -> dict:
    return run.manifest(stage)["facts"]
