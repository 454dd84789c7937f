"""Benchmark: probe.activations streams to the store with peak memory independent of the
number of prompts.

Each size runs in a fresh process: a spec with one probe.activations stage (4 layers of a
model of the given shape, built from config, pooling last) over N prompts drawn from
BLiMP sentences, run through `run_inline` (the worker's own code path: context, op,
shards, Parquet index, commit). The child reports its peak resident memory
(ru_maxrss), the time of the task and the bytes of shards written. Peak memory should
stay flat as N grows once batches are full (N x tokens per prompt > batch_tokens):
vectors are appended to the shards batch by batch, and only the index rows (a few
integers per prompt) grow with N.

    python bench/probe_activations_memory.py                         # GPT-2-small shape, N = 250 1000 4000
    python bench/probe_activations_memory.py --layers 4 --width 256 --heads 4 --sizes 500 2000 8000
    python bench/probe_activations_memory.py --sizes 10000           # the issue's 10,000 prompts (slow on CPU)
    python bench/probe_activations_memory.py --quick                 # the smoke test's size: seconds
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_flag, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
BLIMP = REPO.parent / "shared" / "data" / "blimp"

SPEC = """\
specc: 1
name: bench-activations
title: Activation streaming
question: Does memory stay flat?
seed: 0
data:
  prompts: {{jsonl: prompts.jsonl}}
models:
  m: {{init: gpt2, n_layer: {layers}, n_embd: {width}, n_head: {heads}, n_positions: 128}}
stages:
  tok: {{op: train.tokenizer, data: prompts, text_field: text, vocab_size: 1000}}
  acts:
    op: probe.activations
    model: m
    tokenizer: tok
    data: prompts
    layers: [0.25, 0.5, 0.75, -1]
    pooling: last
    batch_tokens: {batch_tokens}
"""


def sentences() -> list[str]:
    out = []
    for path in sorted(BLIMP.glob("[!m]*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            out += [record["sentence_good"], record["sentence_bad"]]
    return out


def child(n: int, layers: int, width: int, heads: int, batch_tokens: int) -> dict:
    from specc.compiler import compile_spec
    from specc.runtime.inline import run_inline
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        pool = sentences()
        with open(root / "prompts.jsonl", "w") as f:
            for i in range(n):
                f.write(json.dumps({"text": pool[i % len(pool)]}) + "\n")
        (root / "spec.yaml").write_text(SPEC.format(layers=layers, width=width, heads=heads, batch_tokens=batch_tokens))
        plan = compile_spec(root / "spec.yaml")
        run_inline(plan, root / "store", stages={"tok"})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        run_inline(plan, root / "store", stages={"acts"})
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        shards = sum(p.stat().st_size for p in (root / "store").rglob("*.bin"))
    return {"n": n, "peak_mib": peak, "before_mib": before, "seconds": seconds, "shard_mib": shards / 2**20}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 4000])
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--width", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--batch-tokens", type=int, default=1024,
                    help="the op's batch_tokens: peak memory is flat once batches are full")
    ap.add_argument("--quick", action="store_true", help="a 2-block, 64-wide model and 50/200 prompts")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.layers, args.width, args.heads = [50, 200], 2, 64, 2
    if args.child is not None:
        print(json.dumps(child(args.child, args.layers, args.width, args.heads, args.batch_tokens)))
        return
    print(f"model: {args.layers} blocks x {args.width} wide, 4 layers recorded (pooling last), "
          f"batch_tokens {args.batch_tokens}")
    print(f"{'prompts':>8} {'peak MiB':>9} {'pre MiB':>10} {'seconds':>8} {'prompts/s':>10} {'shards MiB':>11}")
    rows = []
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(n), "--layers", str(args.layers),
                              "--width", str(args.width), "--heads", str(args.heads),
                              "--batch-tokens", str(args.batch_tokens)],
                             capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{row['n']:>8} {row['peak_mib']:>9.0f} {row['before_mib']:>10.0f} {row['seconds']:>8.1f} "
              f"{row['n'] / row['seconds']:>10.0f} {row['shard_mib']:>11.1f}")
    growth = rows[-1]["peak_mib"] - rows[0]["peak_mib"]
    print(f"peak growth from {rows[0]['n']} to {rows[-1]['n']} prompts: {growth:+.0f} MiB "
          f"(shards grew {rows[-1]['shard_mib'] - rows[0]['shard_mib']:+.1f} MiB)")


if __name__ == "__main__":
    main()
