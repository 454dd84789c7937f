"""Benchmark: eval.logprob_pairs against lm-evaluation-harness and a naive loop, on BLiMP.

The 12 BLiMP paradigms of ../shared/data/blimp (`--pairs` per paradigm), a few prompt
prefixes, and a tiny GPT-2 (2 layers, 64 wide) with GPT-2's 50,257-token vocabulary,
built from config with a byte-level BPE tokenizer trained here on Shakespeare (there is
no hub to fetch GPT-2's own). Every request is "prompt + sentence", the sentence scored.

Each method runs in its own subprocess, on the same model (same config and seed: the
weights are identical) and the same pairs, and is timed from tokenization to scores:

    specc      the eval.logprob_pairs op, run in-process through specc's worker code
               (`runtime/inline.py`); time = tokenization + scoring, from its manifest
    lm-eval:B  lm_eval's HFLM(pretrained=<the model object>, tokenizer=<the same>,
               batch_size=B).loglikelihood on (context, continuation) requests built
               from the same pairs; B=1 is lm-eval's default
    naive      one sequence at a time, full logits and log-softmax (ops/eval/_scorer.py)

Memory: peak resident memory sampled every 5 ms during the call, minus the resident
memory just before it (libraries imported beforehand; for specc it includes loading the
data and building the model).
Scores are compared: the largest |Δ log p| between each method and the first one.
Goal: specc ≥ 5× lm-eval's requests/s, at |Δ| < 1e-4.

    python bench/scorer_throughput.py                          # 200 pairs per paradigm
    python bench/scorer_throughput.py --pairs 1000             # all 12,000 pairs
    python bench/scorer_throughput.py --pairs 5 --methods specc,lm-eval:8   # smoke
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
for _flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_flag, "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

GOAL = 5.0
PROMPTS = ["", "Well, ", "So, "]
SPEC = """\
specc: 1
name: scorer-bench
title: Scorer benchmark
question: How fast does eval.logprob_pairs score BLiMP?
seed: 1
data:
  corpus: {{text: "{corpus}"}}
  pairs: {{jsonl: pairs.jsonl}}
models:
  tiny: {{init: gpt2, n_layer: 2, n_embd: 64, n_head: 2, n_positions: 128, vocab_size: 50257}}
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 8192}}
  score:
    op: eval.logprob_pairs
    model: tiny
    tokenizer: tok
    items: pairs
    good: sentence_good
    bad: sentence_bad
    prompts: {prompts}
"""


def prepare(work: Path, pairs: int) -> Path:
    """The spec, its pairs (the first `pairs` of each paradigm) and the trained tokenizer."""
    from specc.compiler import compile_spec
    from specc.runtime.inline import run_inline
    work.mkdir(parents=True, exist_ok=True)
    (work / ".git").mkdir(exist_ok=True)
    (work / "specc.toml").write_text(f'[data]\nroots = ["{SHARED}"]\n')
    lines = []
    for path in sorted((SHARED / "blimp").glob("*.jsonl")):
        if path.name != "models_summary.jsonl":
            lines += path.read_text().splitlines()[:pairs]
    (work / "pairs.jsonl").write_text("\n".join(lines) + "\n")
    spec = work / "spec.yaml"
    spec.write_text(SPEC.format(corpus=SHARED / "corpora" / "tinyshakespeare.txt", prompts=json.dumps(PROMPTS)))
    run_inline(compile_spec(spec), work / "store", stages={"tok"})
    return spec


class PeakMemory:
    """Peak RSS above the RSS at start, sampled in a thread while the block runs."""

    def __enter__(self):
        self.start = self.peak = _rss()
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, _rss())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def mib(self) -> float:
        return (self.peak - self.start) / 2**20


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


# --- one method per subprocess -----------------------------------------------------

def child(method: str, spec: Path, out: Path) -> None:
    import numpy as np
    import torch
    from specc.compiler import compile_spec
    import datasets, transformers  # noqa: E401,F401 - imports are not the scoring's memory:
    import specc.ops, specc.runtime.worker  # noqa: E401,F401 - load them before measuring
    if method.startswith("lm-eval"):
        import lm_eval.models.huggingface  # noqa: F401
    torch.manual_seed(0)
    plan = compile_spec(spec)
    store = spec.parent / "store"
    if method == "specc":
        from specc.runtime.inline import run_inline
        from specc.runtime.store import ArtifactStore
        score_task = next(t for t in plan.tasks if t.stage == "score")
        ArtifactStore(store).remove(score_task.key)
        with PeakMemory() as mem:
            run_inline(plan, store, stages={"score"})
        manifest = ArtifactStore(store).manifest(score_task.key)
        import pandas as pd
        table = pd.read_parquet(ArtifactStore(store).local_path(score_task.key) / "table.parquet")
        scores = np.stack([table["logp_good"], table["logp_bad"]], 1).reshape(-1)
        seconds, extra = manifest["facts"]["score_seconds"], manifest["facts"]
        extra = {k: extra[k] for k in ("unique_requests", "batches", "projected_positions", "scored_tokens")}
    else:
        lm, tok, items = _model_tokenizer_items(plan, store)
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            scores = _lm_eval(lm, tok, items, int(method.split(":")[1])) if method.startswith("lm-eval") \
                else _naive(lm, tok, items)
            seconds = time.perf_counter() - t0
        extra = {}
    out.write_text(json.dumps({"method": method, "seconds": seconds, "requests": len(scores),
                               "peak_mib": mem.mib, "scores": list(map(float, scores)), **extra}))


def _model_tokenizer_items(plan, store: Path):
    """The model and tokenizer exactly as the op builds them: same config, same seed."""
    import pandas as pd
    from transformers import AutoTokenizer

    from specc.runtime.models import build_model
    from specc.runtime.store import ArtifactStore
    tok_key = next(t.key for t in plan.tasks if t.stage == "tok")
    tok = AutoTokenizer.from_pretrained(str(ArtifactStore(store).local_path(tok_key) / "tokenizer"))
    lm = build_model(plan.spec.models["tiny"], len(tok), seed=plan.spec.seed).eval()
    items = pd.read_json(Path(plan.path).parent / "pairs.jsonl", lines=True)
    return lm, tok, items


def _lm_eval(lm, tok, items, batch_size: int) -> list[float]:
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM
    harness = HFLM(pretrained=lm, tokenizer=tok, batch_size=batch_size, device="cpu")
    requests = []
    for prompt in PROMPTS:
        # An empty context gets lm-eval's prefix token (the tokenizer's EOS = our BOS);
        # a prompt gets the BOS text in front, so both score after BOS as specc does.
        context = tok.bos_token + prompt if prompt else ""
        for good, bad in zip(items["sentence_good"], items["sentence_bad"]):
            for sentence in (good, bad):
                requests.append(Instance("loglikelihood", {}, (context, sentence), len(requests)))
    return [logp for logp, _greedy in harness.loglikelihood(requests, disable_tqdm=True)]


def _naive(lm, tok, items) -> list[float]:
    from specc.ops.eval._pairs import pair_requests
    from specc.ops.eval._scorer import score_naive
    from specc.ops.eval._segments import Encoder
    requests = pair_requests(items, PROMPTS, "sentence_good", "sentence_bad", None, " ",
                             Encoder(tok), (tok.bos_token_id,))
    return list(score_naive(lm, requests).logprob)


# --- the parent --------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=200, help="pairs per paradigm (1000 = all)")
    ap.add_argument("--methods", default="specc,lm-eval:1,lm-eval:32,naive",
                    help="comma-separated: specc, lm-eval:<batch size>, naive")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--child", nargs=3, metavar=("METHOD", "SPEC", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child[0], Path(args.child[1]), Path(args.child[2]))

    work = args.workdir or Path(tempfile.mkdtemp(prefix="specc-scorer-bench-"))
    spec = prepare(work, args.pairs)
    results = []
    for method in args.methods.split(","):
        out = work / f"{method.replace(':', '-')}.json"
        subprocess.run([sys.executable, __file__, "--child", method, str(spec), str(out)], check=True)
        results.append(json.loads(out.read_text()))

    import numpy as np
    first = np.array(results[0]["scores"])
    print(f"\n{results[0]['requests']:,} requests: 12 BLiMP paradigms x {args.pairs} pairs x "
          f"{len(PROMPTS)} prompts x 2 sentences; tiny GPT-2, vocabulary 50,257; CPU threads: "
          f"{__import__('torch').get_num_threads()}\n")
    print(f"{'method':12} {'seconds':>9} {'requests/s':>11} {'peak MiB':>9} {'max |Δ|':>9}")
    for r in results:
        delta = np.abs(np.array(r["scores"]) - first).max()
        print(f"{r['method']:12} {r['seconds']:9.2f} {r['requests'] / r['seconds']:11.0f} "
              f"{r['peak_mib']:9.0f} {delta:9.1e}")
    specc = next((r for r in results if r["method"] == "specc"), None)
    if specc:
        print(f"\nspecc: {specc['unique_requests']:,} unique requests, {specc['batches']} batches, "
              f"{specc['projected_positions']:,} positions projected for {specc['scored_tokens']:,} scored tokens")
        rate = specc["requests"] / specc["seconds"]
        for r in results:
            if r["method"].startswith("lm-eval"):
                ratio = rate / (r["requests"] / r["seconds"])
                print(f"specc vs {r['method']}: {ratio:.1f}x requests/s "
                      f"(goal >= {GOAL:g}x: {'met' if ratio >= GOAL else 'NOT MET'})")
        deltas = [np.abs(np.array(r["scores"]) - np.array(specc["scores"])).max() for r in results]
        print(f"scores agree within {max(deltas):.1e} (goal < 1e-4: {'met' if max(deltas) < 1e-4 else 'NOT MET'})")


if __name__ == "__main__":
    main()
