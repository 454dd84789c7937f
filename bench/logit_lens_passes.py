"""Benchmark: the logit lens over all layers from one forward pass per batch, against
running the model once per layer.

one_pass   what probe.logit_lens does: forward hooks record every block's output in
           one forward pass per batch (ops/probe/_forward.forward_batches), then each
           layer is decoded (final norm + unembedding) and compared with the output
           (ops/probe/_lens.layer_stats)
per_layer  the same statistics, but the model runs again for every layer, recording
           only that layer's block: what a lens built on "give me layer L" costs

Both compute KL(layer ‖ final), entropy and top-1 agreement at every position of the
same prompts; the script checks they agree, then reports seconds (median of repeats).
The projections (layers × positions × vocabulary × width) are the same on both sides;
the gap is the (layers − 1) extra forward passes.

    python bench/logit_lens_passes.py                    # GPT-2-small shape, vocab 8192, 32 prompts x 32 tokens
    python bench/logit_lens_passes.py --quick            # seconds
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def build(layers: int, width: int, heads: int, vocab: int):
    import torch
    import transformers
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=vocab, n_layer=layers, n_embd=width, n_head=heads, n_positions=128)
    return transformers.AutoModelForCausalLM.from_config(cfg).eval()


def lens(lm, texts, one_pass: bool, budget: int) -> dict[str, np.ndarray]:
    import torch

    from specc.ops.probe._forward import forward_batches
    from specc.ops.probe._layers import anatomy
    from specc.ops.probe._lens import layer_stats
    parts = anatomy(lm)
    out: dict[str, list] = {"kl": [], "entropy": [], "top1_agree": []}
    groups = [list(range(parts.depth))] if one_pass else [[k] for k in range(parts.depth)]
    for layers in groups:
        for batch in forward_batches(lm, texts, budget, [parts.blocks[k] for k in layers], logits=True):
            with torch.inference_mode():
                final = torch.log_softmax(batch.logits.float(), -1)
                top = final.argmax(-1)
                for k in range(len(layers)):
                    stats = layer_stats(parts, batch.outputs[k], final, top)
                    for name, value in stats.items():
                        out[name].append(value.flatten().numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--width", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--length", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.layers, args.width, args.heads, args.vocab, args.prompts, args.length, args.repeat = 4, 64, 2, 512, 8, 16, 1
    import torch
    torch.manual_seed(1)
    lm = build(args.layers, args.width, args.heads, args.vocab)
    texts = torch.randint(0, args.vocab, (args.prompts, args.length)).tolist()
    budget = args.prompts * args.length   # one batch: the comparison is about passes, not batching
    times: dict[str, list[float]] = {"one_pass": [], "per_layer": []}
    results = {}
    for _ in range(args.repeat):
        for name in times:
            t0 = time.perf_counter()
            results[name] = lens(lm, texts, name == "one_pass", budget)
            times[name].append(time.perf_counter() - t0)
    # Layer-major on both sides, so the rows line up.
    for key in ("kl", "entropy"):
        assert np.allclose(results["one_pass"][key], results["per_layer"][key], atol=1e-5), key
    assert np.array_equal(results["one_pass"]["top1_agree"], results["per_layer"]["top1_agree"])
    print(f"model: {args.layers} blocks x {args.width} wide, vocab {args.vocab}; "
          f"{args.prompts} prompts x {args.length} tokens; median of {args.repeat}")
    print(f"{'method':<10} {'seconds':>8} {'forwards':>9}")
    for name, values in times.items():
        passes = 1 if name == "one_pass" else args.layers
        print(f"{name:<10} {statistics.median(values):>8.2f} {passes:>9}")
    ratio = statistics.median(times["per_layer"]) / statistics.median(times["one_pass"])
    print(f"per_layer / one_pass: {ratio:.2f}x  (same KL, entropy and top-1 at every position)")


if __name__ == "__main__":
    main()
