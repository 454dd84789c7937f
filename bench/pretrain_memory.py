"""Benchmark: peak memory of streamed pretraining as the corpus grows.

For each corpus size, in a fresh process: write a synthetic corpus (JSON lines, one
document of 100-1,000 words per line, words drawn from a 5,000-word Zipf vocabulary),
load it through `datasets` as train.pretrain's context does, tokenize and pack it into
shards in a store folder (`_shards.packed_corpus`, one token per word with a word-level
tokenizer, so N words = N tokens), then train `--steps` optimiser steps of a tiny GPT-2
on blocks streamed from the shards in the seeded epoch order (`_blocks.BlockOrder`,
`StepBatches`, `_loop.train`). Peak private memory (RssAnon, sampled every 20 ms) is
read after loading the data, after packing and after training, beside the peak resident
set (ru_maxrss), which also counts memory-mapped file pages the kernel may drop. Goal:
peak private memory flat from 10M to 100M tokens (the in-memory packing it replaces
holds every document and token at once).

    python bench/pretrain_memory.py                          # 10M, 30M and 100M tokens
    python bench/pretrain_memory.py --tokens 1000000 --steps 3  # seconds: the smoke test's size
    python bench/pretrain_memory.py --in-memory              # also the old path, for contrast
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

VOCAB = 5000


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class AnonPeak:
    """Peak private (anonymous) memory, sampled every 20 ms from /proc/self/status. The
    resident set also counts pages of memory-mapped files (the shards, the dataset's
    Arrow file) that the kernel can drop at any time; RssAnon is what the process owns."""

    def __init__(self):
        import threading
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def now() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.now())

    def read(self) -> float:
        self.peak = max(self.peak, self.now())
        return self.peak


def write_corpus(path: Path, tokens: int, seed: int = 0) -> int:
    """JSON lines of synthetic documents, written in chunks (the generator stays small)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(VOCAB)])
    probs = 1 / np.arange(1, VOCAB + 1)
    probs /= probs.sum()
    written = docs = 0
    with open(path, "w") as fh:
        while written < tokens:
            lengths = rng.integers(100, 1000, size=1000)
            ids = rng.choice(VOCAB, size=int(lengths.sum()), p=probs)
            start = 0
            lines = []
            for n in lengths:
                n = int(min(n, tokens - written))
                if n <= 0:
                    break
                lines.append(json.dumps({"text": " ".join(words[ids[start:start + n]])}))
                start += n
                written += n + 1  # + the EOS that separates it from the next one
                docs += 1
            fh.write("\n".join(lines) + "\n")
    return docs


def word_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    vocab = {"<eos>": 0, **{f"w{i}": i + 1 for i in range(VOCAB)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<eos>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>")


class BenchCtx:
    """What packing asks of a task context: the dataset, a store folder, a log."""

    def __init__(self, root: Path, dataset):
        self.root, self.dataset = root, dataset

    def data(self, ref):
        return self.dataset

    def data_kind(self, ref):
        return "jsonl"

    def data_identity(self, ref):
        return {"digest": str(self.root), "split_seed": 0, "ref": ref}

    def shared_folder(self, kind, key):
        return self.root / ".shared" / kind / key

    def log(self, message):
        pass


def measure(tokens: int, steps: int, in_memory: bool) -> dict:
    """One size, in this process (called in a child per size)."""
    import datasets
    import torch
    import transformers
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from specc.ops.train._blocks import BlockOrder, StepBatches, TensorBlocks, pack
    from specc.ops.train._loop import Settings, train
    from specc.ops.train._shards import StreamBlocks, packed_corpus

    torch.set_num_threads(1)
    datasets.disable_progress_bars()
    anon = AnonPeak()
    root = Path(tempfile.mkdtemp(prefix="specc-bench-mem-"))
    path = root / "corpus.jsonl"
    t0 = time.perf_counter()
    docs = write_corpus(path, tokens)
    dataset = datasets.load_dataset("json", data_files=[str(path)], split="train",
                                    cache_dir=str(root / "cache"))
    tok = word_tokenizer()
    after_imports, anon_imports = peak_mib(), anon.read()
    t1 = time.perf_counter()
    if in_memory:  # the path train.pretrain had before: every document and token at once
        blocks = TensorBlocks(pack(tok, [str(t) for t in dataset["text"]], 128))
        n_tokens = len(blocks) * 128
    else:
        stream = packed_corpus(BenchCtx(root, dataset), "corpus", "text", tok, "words")
        blocks, n_tokens = StreamBlocks(stream, 128), len(stream)
    after_pack, anon_pack = peak_mib(), anon.read()
    t2 = time.perf_counter()
    config = transformers.GPT2Config(n_layer=2, n_embd=64, n_head=2, n_positions=128, vocab_size=len(tok))
    model = transformers.GPT2LMHeadModel(config)
    settings = Settings(steps=steps, rows_per_step=16, micro_batch=16, block_size=128, lr=1e-3,
                        lr_schedule="cosine", warmup_steps=0, weight_decay=0.1, max_grad_norm=1.0,
                        precision="fp32", device="cpu", seed=0)
    train(model, StepBatches([blocks], BlockOrder(len(blocks), seed=0), 16), settings)
    t3 = time.perf_counter()
    return {"tokens": n_tokens, "documents": docs, "corpus_mib": path.stat().st_size / 2 ** 20,
            "imports_mib": after_imports, "pack_mib": after_pack, "train_mib": peak_mib(),
            "anon_imports_mib": anon_imports, "anon_pack_mib": anon_pack, "anon_mib": anon.read(),
            "prepare_s": t1 - t0, "pack_s": t2 - t1, "train_s": t3 - t2, "root": str(root)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, nargs="+", default=[10_000_000, 30_000_000, 100_000_000])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--in-memory", action="store_true", help="also measure the in-memory packing")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-in-memory", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.steps, args.child_in_memory)))
        return
    print(f"{'path':10} {'tokens':>12} {'docs':>9} {'corpus MiB':>11} {'anon: load':>11} {'pack':>6} "
          f"{'peak':>6} {'RSS peak':>9} {'pack s':>7} {'train s':>8}")
    peaks = []
    for in_memory in ([False, True] if args.in_memory else [False]):
        for n in args.tokens:
            cmd = [sys.executable, __file__, "--child", str(n), "--steps", str(args.steps)]
            cmd += ["--child-in-memory"] if in_memory else []
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                raise SystemExit(done.returncode)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            subprocess.run(["rm", "-rf", r["root"]], check=False)
            print(f"{'in-memory' if in_memory else 'streamed':10} {r['tokens']:>12,} {r['documents']:>9,} "
                  f"{r['corpus_mib']:>11.0f} {r['anon_imports_mib']:>11.0f} {r['anon_pack_mib']:>6.0f} "
                  f"{r['anon_mib']:>6.0f} {r['train_mib']:>9.0f} {r['pack_s']:>7.1f} {r['train_s']:>8.1f}",
                  flush=True)
            if not in_memory:
                peaks.append(r["anon_mib"])
    if len(peaks) > 1:
        growth = max(peaks) / min(peaks)
        print(f"streamed peak private memory: {min(peaks):.0f}-{max(peaks):.0f} MiB over "
              f"{min(args.tokens):,}-{max(args.tokens):,} tokens ({growth:.2f}x); "
              f"goal flat (< 1.15x): {'met' if growth < 1.15 else 'NOT MET'}")


if __name__ == "__main__":
    main()
