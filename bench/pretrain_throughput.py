"""Benchmark: train.pretrain's training loop against a bare transformers Trainer.

Both train the same GPT-2 config, from the same initial weights, on the same packed
Shakespeare blocks (a byte-level BPE tokenizer trained by train.tokenizer's own run),
with the same batch size, block size, lr schedule, weight decay and clipping:

loop     specc.ops.train._loop.train, fed by the op's own block order (StepBatches),
         i.e. what train.pretrain's run does between packing the data and saving
         (no resume folder: no state saves, no checkpoints);
trainer  transformers.Trainer with TrainingArguments(use_cpu on CPU, no eval, no
         saving, logging off), a dataset of the same blocks, default collator;
monitor  the loop with what train.pretrain adds every step: ctx.progress (the live view)
         and ctx.metrics (TensorBoard event files, written to a temp folder), through the
         op's StepMonitor. The time spent in that callback is measured directly, per step,
         and reported as a share of the median step time (goal < 1%): a difference of
         two throughputs could not resolve 1% on a shared machine.

Timing: only training steps. Model build, tokenization and packing happen before the
clock starts, and the first `--warmup` optimiser steps of each run are not timed:
tokens/s = tokens of the timed steps / wall time from the end of the last warm-up step
to the end of the last step (both sides stamp the end of every step). The two sides
alternate within each repeat (which one goes first alternates too); the median over
repeats is reported. Goal: loop tokens/s >= 0.95 x Trainer's.

    python bench/pretrain_throughput.py                  # n_layer 4, n_embd 128, block 128, batch 16, 50 steps
    python bench/pretrain_throughput.py --repeat 5
    python bench/pretrain_throughput.py --quick          # the smoke test's size: seconds
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

for _flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_flag, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "corpora" / "tinyshakespeare.txt"
GOAL_RATIO = 0.95


class _MonitorCtx:
    """The part of a TaskContext StepMonitor touches, with the real progress state and
    event writer behind it."""

    def __init__(self, folder: Path):
        from specc.runtime.metrics import MetricsWriter
        from specc.runtime.reporting import TaskState
        self.state, self.writer = TaskState("bench", 1), MetricsWriter(folder)

    def progress(self, step, total=None, **metrics):
        self.state.progress(step, total, metrics)

    def metrics(self, step, **scalars):
        self.writer.write(step, scalars)

    def record(self, **facts):
        pass


class _Ctx:
    """The part of a TaskContext train.tokenizer's run touches."""

    def __init__(self, lines: list[str], out: Path):
        import datasets
        self._data, self.out = datasets.Dataset.from_dict({"text": lines}), out

    def data(self, name):
        return self._data

    def data_kind(self, name):
        return "text"

    def record(self, **facts):
        pass

    def log(self, message):
        pass


def prepare(args, folder: Path):
    """The tokenizer (train.tokenizer's run) and the packed training blocks."""
    import specc.ops  # noqa: F401 - registers the ops
    from specc.ops.train import tokenizer as tokenizer_op
    from specc.ops.train._blocks import pack
    from transformers import AutoTokenizer
    text = CORPUS.read_text(encoding="utf-8")[: args.chars]
    tokenizer_op.run(tokenizer_op.Params(data="corpus", vocab_size=args.vocab),
                     _Ctx(text.split("\n"), folder))
    tok = AutoTokenizer.from_pretrained(str(folder / "tokenizer"))
    return tok, pack(tok, [text], args.block)


def fresh_model(args, vocab: int):
    import torch
    import transformers
    torch.manual_seed(0)  # both sides start from the same weights
    cfg = transformers.GPT2Config(vocab_size=vocab, n_positions=args.block, n_embd=args.embd,
                                  n_layer=args.layers, n_head=args.heads, resid_pdrop=0.0,
                                  embd_pdrop=0.0, attn_pdrop=0.0)
    return transformers.AutoModelForCausalLM.from_config(cfg)


def settings(args):
    from specc.ops.train._loop import Settings
    return Settings(steps=args.warmup + args.steps, rows_per_step=args.batch, micro_batch=args.batch,
                    block_size=args.block, lr=args.lr, lr_schedule="cosine", warmup_steps=args.warmup,
                    weight_decay=0.1, max_grad_norm=1.0, precision="fp32", device=args.device, seed=0)


def timed(ends: list[float], args) -> tuple[float, float]:
    """tokens/s over the steps after the warm-up, from per-step end times: (over the wall
    time of all timed steps, at the median step time). The median is robust to a shared
    machine's hiccups; the wall time is what a run pays."""
    tokens = args.batch * args.block
    timed_ends = ends[args.warmup - 1: args.warmup + args.steps]
    steps = [b - a for a, b in pairwise(timed_ends)]
    return tokens * args.steps / sum(steps), tokens / statistics.median(steps)


def run_loop(args, blocks, vocab: int, monitor_dir: Path | None = None,
             spent: list[float] | None = None) -> tuple[tuple[float, float], float]:
    """The loop; with `monitor_dir`, with train.pretrain's per-step monitor writing events
    there, its time per step appended to `spent` (timed steps only)."""
    from specc.ops.train._blocks import BlockOrder, StepBatches, TensorBlocks
    from specc.ops.train._loop import train
    from specc.ops.train._monitor import StepMonitor, flops_per_token
    model = fresh_model(args, vocab)
    batches = StepBatches([TensorBlocks(blocks)], BlockOrder(len(blocks), seed=0), args.batch)
    on_step = None
    if monitor_dir is not None:
        ctx = _MonitorCtx(monitor_dir)
        monitor = StepMonitor(ctx, args.warmup + args.steps, flops_per_token(model, args.block), args.device, "fp32")

        def on_step(row):
            t0 = time.perf_counter()
            monitor.history_row(row)
            if row["step"] > args.warmup:
                spent.append(time.perf_counter() - t0)
    history = train(model, batches, settings(args), on_step=on_step)
    if monitor_dir is not None:
        ctx.writer.close()
    return timed([row["seconds"] for row in history], args), history[-1]["loss"]


def run_trainer(args, blocks, vocab: int, folder: Path) -> tuple[tuple[float, float], float]:
    import transformers
    from specc.ops.train._blocks import BlockOrder
    # The same blocks the loop trains on (Trainer's sampler shuffles them again).
    picks = BlockOrder(len(blocks), seed=0).positions(0, (args.warmup + args.steps) * args.batch)
    dataset = [{"input_ids": blocks[i], "labels": blocks[i]} for _, i in picks]
    ends: list[float] = []

    class StepEnds(transformers.TrainerCallback):
        def on_step_end(self, _args, state, control, **kw):
            ends.append(time.perf_counter())

    s = settings(args)
    targs = transformers.TrainingArguments(
        output_dir=str(folder / "trainer"), per_device_train_batch_size=args.batch,
        gradient_accumulation_steps=1, max_steps=s.steps, learning_rate=s.lr,
        lr_scheduler_type="cosine", warmup_steps=s.warmup_steps, weight_decay=s.weight_decay,
        max_grad_norm=s.max_grad_norm, adam_beta1=s.betas[0], adam_beta2=s.betas[1],
        adam_epsilon=s.eps, use_cpu=args.device == "cpu", report_to=[], logging_strategy="no",
        save_strategy="no", eval_strategy="no", disable_tqdm=True, seed=0,
        dataloader_num_workers=0)
    trainer = transformers.Trainer(model=fresh_model(args, vocab), args=targs, train_dataset=dataset,
                                   callbacks=[StepEnds()])
    result = trainer.train()
    assert len(ends) == s.steps, (len(ends), s.steps)
    return timed(ends, args), result.training_loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--embd", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--block", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=50, help="timed optimiser steps per run")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (also the lr warmup)")
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--chars", type=int, default=None, help="use only the corpus's first CHARS characters")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the median is reported")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads for both sides (default: torch's own choice)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke size: n_layer 1, n_embd 32, block 32, batch 4, 6+2 steps, 1 repeat, "
                             "100k characters of text")
    args = parser.parse_args()
    if args.quick:
        args.layers, args.embd, args.heads, args.block, args.batch = 1, 32, 2, 32, 4
        args.steps, args.warmup, args.vocab, args.repeat, args.chars = 6, 2, 512, 1, 100_000
    import torch
    import transformers
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"pretrain throughput: gpt2 n_layer={args.layers} n_embd={args.embd} n_head={args.heads} "
          f"block={args.block} batch={args.batch} steps={args.warmup}+{args.steps} repeat={args.repeat} "
          f"device={args.device} torch={torch.__version__} transformers={transformers.__version__} "
          f"threads={torch.get_num_threads()} load average at start: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="specc-bench-") as name:
        folder = Path(name)
        tok, blocks = prepare(args, folder)
        print(f"data: {len(blocks)} blocks of {args.block} tokens, vocab {len(tok)}")
        loop, trainer, monitored = [], [], []   # per repeat: (wall tokens/s, median-step tokens/s)
        spent: list[float] = []                 # seconds in the monitor, per timed step
        for r in range(args.repeat):
            sides = ("loop", "trainer", "monitor")
            order = sides[r % 3:] + sides[:r % 3]
            got = {}
            for side in order:
                got[side] = (run_loop(args, blocks, len(tok)) if side == "loop"
                             else run_loop(args, blocks, len(tok), folder / f"events-{r}", spent)
                             if side == "monitor" else run_trainer(args, blocks, len(tok), folder))
            loop.append(got["loop"][0])
            trainer.append(got["trainer"][0])
            monitored.append(got["monitor"][0])
            print(f"repeat {r + 1}: loop {loop[-1][0]:>9.0f} tok/s (median step {loop[-1][1]:.0f}, "
                  f"final loss {got['loop'][1]:.3f})   trainer {trainer[-1][0]:>9.0f} tok/s (median step "
                  f"{trainer[-1][1]:.0f}, mean loss {got['trainer'][1]:.3f})")
    print(f"\n{'what':<10} {'tokens/s':>10} {'min':>10} {'max':>10} {'med.step':>10}  note")
    for label, values, note in (("loop", loop, "train.pretrain's loop (specc.ops.train._loop.train)"),
                                ("trainer", trainer, "bare transformers.Trainer, same config and blocks")):
        wall = [v[0] for v in values]
        print(f"{label:<10} {statistics.median(wall):>10.0f} {min(wall):>10.0f} {max(wall):>10.0f} "
              f"{statistics.median(v[1] for v in values):>10.0f}  {note}")
    ratio = statistics.median(v[0] for v in loop) / statistics.median(v[0] for v in trainer)
    robust = statistics.median(v[1] for v in loop) / statistics.median(v[1] for v in trainer)
    print(f"{'ratio':<10} {ratio:>10.3f}x  loop / trainer, medians of wall tokens/s "
          f"({robust:.3f}x at the median step time)")
    print(f"goal: loop tokens/s >= {GOAL_RATIO} x Trainer: {'met' if ratio >= GOAL_RATIO else 'NOT MET'}")
    step = args.batch * args.block / statistics.median(v[1] for v in loop)   # median step, seconds
    per_step = statistics.median(spent)
    share = per_step / step
    with_monitor = statistics.median(v[0] for v in monitored) / statistics.median(v[0] for v in loop)
    print(f"\nmonitor: {per_step * 1e6:.0f} us per step (median; max {max(spent) * 1e6:.0f} us) = "
          f"{100 * share:.3f}% of the median step ({step * 1e3:.1f} ms): ctx.progress + ctx.metrics "
          f"(TensorBoard events)")
    print(f"loop with monitor / loop: {with_monitor:.3f}x wall tokens/s (machine noise included)")
    print(f"goal: progress and metrics < 1% of step time: {'met' if share < 0.01 else 'NOT MET'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
