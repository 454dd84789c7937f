"""Benchmark: compile time as the plan grows from 1k to 100k tasks.

The spec: 6 models pretrained with many checkpoints, and a logit-lens probe at
14 layers of every checkpoint (6 x checkpoints x 14 tasks). Only the number of
checkpoints changes between sizes, so time per task should stay flat (linear
growth). Goal: 100k tasks in under 3 s on a 2-core machine.

    python bench/compile_scale.py            # sizes 1k, 3k, 10k, 30k, 100k
    python bench/compile_scale.py --repeat 5 --sizes 100000
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

MODELS, LAYERS = 6, 14
SPEC = """\
specc: 1
name: compile-scale
title: Compile-time benchmark
question: How fast does specc expand a large design?
data:
  corpus: {{text: corpus.txt}}
models:
{models}
conditions:
  model: [{model_names}]
  layer: [{layers}]
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 1024}}
  pretrain:
    op: train.pretrain
    over: [model]
    model: ${{model}}
    tokenizer: tok
    data: corpus
    steps: {steps}
    checkpoint_every: 10
  lens:
    op: probe.logit_lens
    over: [model, checkpoint, layer]
    model: pretrain
    data: corpus
    layers: ["${{layer}}"]
hypotheses:
  H1:
    statement: The last layers agree with the output.
    measure: mean(lens.kl) where layer == 13
    expect: "< 1.0"
"""


def write_spec(folder: Path, tasks: int) -> tuple[Path, int]:
    checkpoints = max(1, round(tasks / (MODELS * LAYERS)))
    names = [f"m{i}" for i in range(MODELS)]
    models = "\n".join(f"  {n}: {{init: gpt2, n_layer: {LAYERS}, n_embd: {64 * (i + 1)}, n_head: 4, "
                       f"n_positions: 128}}" for i, n in enumerate(names))
    text = SPEC.format(models=models, model_names=", ".join(names),
                       layers=", ".join(str(i) for i in range(LAYERS)), steps=checkpoints * 10)
    (folder / "corpus.txt").write_text("To be, or not to be: that is the question.\n" * 100)
    path = folder / f"scale-{tasks}.yaml"
    path.write_text(text)
    return path, 1 + MODELS + MODELS * checkpoints * LAYERS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 3_000, 10_000, 30_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the median is reported")
    args = parser.parse_args()

    from specc.compiler import compile_spec
    from specc.compiler.fingerprint import environment
    environment()  # package versions are read once per process; keep that out of the timings

    print(f"{'tasks':>8} {'median s':>9} {'min s':>7} {'us/task':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path, expected = write_spec(Path(tmp), size)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                plan = compile_spec(path)
                times.append(time.perf_counter() - start)
            assert len(plan.tasks) == expected, (len(plan.tasks), expected)
            med = statistics.median(times)
            print(f"{len(plan.tasks):>8} {med:>9.3f} {min(times):>7.3f} {med / len(plan.tasks) * 1e6:>8.1f}")


if __name__ == "__main__":
    main()
