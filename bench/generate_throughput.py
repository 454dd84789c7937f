"""Benchmark: eval.generate against a plain per-prompt `model.generate` loop.

Both generate greedily from the same tiny GPT-2 and the same BBQ prompts
("{context}\\n{question}\\nAnswer:", BOS first), up to `--new` tokens each, ending at eos:

specc   eval.generate's own `run` (prompt rendering, tokenization, left-padded batches
        under the default 8,192-token budget, transformers' generate with its KV cache,
        per-row finish tracking), called with a minimal task context: no store, no Ray;
naive   for each prompt: tokenize, `model.generate(ids, max_new_tokens, do_sample=False)`
        (the KV cache is on by default), decode.

tokens/s = generated tokens / wall time of the whole method (tokenization included),
after one untimed warm-up call of each on two prompts; the methods alternate in order.
The greedy texts must be identical (the script fails otherwise). The model's weights are
drawn with std 0.5 instead of GPT-2's 0.02: at 0.02 an untrained model's logits lie within
~1e-3 of each other and fp32 rounding in a padded batch can flip an argmax between
near-equal tokens (a trained model's distributions are peaked, as these are). Goal:
specc >= 5x naive tokens/s.

    python bench/generate_throughput.py                  # 64 prompts, 32 new tokens, 2 layers x 64 wide
    python bench/generate_throughput.py --repeat 3
    python bench/generate_throughput.py --quick          # the smoke test's size: seconds
    python bench/generate_throughput.py --device cuda --layers 12 --width 768 --vocab 50257
                                                         # GPT-2-small-sized, on a GPU
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

for _flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_flag, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
GOAL = 5.0
PROMPT = "{context}\n{question}\nAnswer:"


def tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast
    lines = (DATA / "corpora" / "tinyshakespeare.txt").read_text().split("\n")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)
    bpe.train_from_iterator(lines, trainer=trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>",
                                   eos_token="<|endoftext|>", pad_token="<|endoftext|>")


def model(vocab_size: int, layers: int, width: int):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=vocab_size, n_layer=layers, n_embd=width, n_head=2,
                        n_positions=512, initializer_range=0.5, bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel(config).eval()


class _Ctx:
    """The part of a TaskContext eval.generate's run touches."""

    def __init__(self, tok, lm, items):
        self._tok, self._lm, self._items = tok, lm, items
        self.device, self.seed, self.batch_scale = next(lm.parameters()).device, 0, 1.0
        self.facts: dict = {}

    def tokenizer(self, name):
        return self._tok

    def model(self, name, vocab_size=None, dtype=None):
        return self._lm

    def data(self, name):
        return self._items

    def batch_size(self, n):
        return n

    def log(self, message):
        pass

    def record(self, **facts):
        self.facts.update(facts)


def run_specc(tok, lm, items, new: int):
    from specc.ops import OPS
    op = OPS.get("eval.generate")
    p = op.params(model="m", items="bbq", prompt=PROMPT, max_new_tokens=new)
    ctx = _Ctx(tok, lm, items)
    t0 = time.perf_counter()
    table = op.run(p, ctx)
    seconds = time.perf_counter() - t0
    return list(table["text"]), int(table["new_tokens"].sum()), seconds, ctx.facts["batches"]


def run_naive(tok, lm, records, new: int):
    import torch
    texts, tokens = [], 0
    device = next(lm.parameters()).device
    t0 = time.perf_counter()
    with torch.inference_mode():
        for r in records:
            ids = [tok.bos_token_id] + tok(PROMPT.format(**r), add_special_tokens=False)["input_ids"]
            out = lm.generate(torch.tensor([ids], device=device),
                              attention_mask=torch.ones(1, len(ids), dtype=torch.long, device=device),
                              max_new_tokens=new, do_sample=False, pad_token_id=tok.pad_token_id,
                              eos_token_id=tok.eos_token_id)
            gen = out[0, len(ids):].tolist()
            tokens += len(gen)
            if tok.eos_token_id in gen:
                gen = gen[:gen.index(tok.eos_token_id)]
            texts.append(tok.decode(gen, skip_special_tokens=True))
    return texts, tokens, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--new", type=int, default=32, help="max_new_tokens")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--quick", action="store_true", help="8 prompts, 8 tokens: the smoke test")
    args = ap.parse_args(argv)
    if args.quick:
        args.prompts, args.new, args.vocab = 8, 8, 600

    import datasets
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    lines = (DATA / "bbq" / "Religion.jsonl").read_text().splitlines()[:args.prompts]
    records = [json.loads(line) for line in lines]
    items = datasets.Dataset.from_list([{k: r[k] for k in ("context", "question")} for r in records])
    tok = tokenizer(args.vocab)
    lm = model(len(tok), args.layers, args.width).to(args.device)
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else \
        f"cpu, torch threads {torch.get_num_threads()}"
    print(f"{len(records)} BBQ prompts, up to {args.new} new tokens, GPT-2 {args.layers} layers x "
          f"{args.width} wide, vocabulary {len(tok)}, {where}")

    # Warm-up (not timed): torch's and transformers' first-call costs, for both methods.
    run_specc(tok, lm, items.select(range(2)), 2)
    run_naive(tok, lm, records[:2], 2)
    rates: dict[str, list[float]] = {"specc": [], "naive": []}
    for rep in range(args.repeat):
        order = ("specc", "naive") if rep % 2 == 0 else ("naive", "specc")
        for name in order:
            if name == "specc":
                texts_s, tokens, seconds, batches = run_specc(tok, lm, items, args.new)
            else:
                texts_n, tokens, seconds = run_naive(tok, lm, records, args.new)
            rates[name].append(tokens / seconds)
        same = sum(a == b for a, b in zip(texts_s, texts_n))
        if same != len(records):
            print(f"greedy texts differ: {len(records) - same} of {len(records)}")
            return 1

    print(f"{'method':8s} {'tokens/s':>10s} {'min':>10s} {'max':>10s}")
    for name, values in rates.items():
        print(f"{name:8s} {statistics.median(values):10.1f} {min(values):10.1f} {max(values):10.1f}")
    ratio = statistics.median(rates["specc"]) / statistics.median(rates["naive"])
    print(f"ratio    {ratio:9.2f}x  specc / naive  ({batches} batch(es); identical greedy "
          f"texts: {len(records)}/{len(records)})")
    print(f"goal: >= {GOAL:g}x naive tokens/s: {'met' if ratio >= GOAL else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
