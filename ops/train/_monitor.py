"""What the training ops report every optimiser step: progress for the live view and
per-step scalars for TensorBoard / MLflow (ctx.progress and ctx.metrics).

    monitor = StepMonitor(ctx, total_steps, flops_per_token(model, block), device, precision)
    monitor(step, loss=..., lr=..., grad_norm=..., tokens_per_s=...)   # adds mfu

MFU (model FLOPs utilisation) = tokens/s × FLOPs per token / the device's peak FLOP/s.
FLOPs per token follow nanoGPT / PaLM (appendix B): 6·N for the weights (forward and
backward; N without the position embeddings, which are a lookup) plus 12·L·d·T for
attention over a T-token context. The peak is the dense tensor-core rate of the GPU for
the training precision (fp32 without TF32 for fp32), from the table below; on a CPU, or
a GPU not in the table, there is no honest peak and MFU is left out unless
SPECC_PEAK_TFLOPS names one. The peak used is recorded in the manifest.
"""
from __future__ import annotations

import os
from typing import Any

PEAK_ENV = "SPECC_PEAK_TFLOPS"

# Dense peak TFLOP/s per GPU: (bf16/fp16 tensor cores, fp32). Matched on the device name,
# first match wins (so "H100 PCIe" is listed before the SXM default).
PEAKS: list[tuple[str, float, float]] = [
    ("H200", 989.0, 67.0), ("H100 PCIe", 756.0, 51.0), ("H100", 989.0, 67.0),
    ("A100", 312.0, 19.5), ("L40S", 362.0, 91.6), ("L4", 121.0, 30.3), ("A10G", 70.0, 31.2),
    ("A10", 125.0, 31.2), ("V100", 125.0, 15.7), ("RTX 4090", 165.0, 82.6), ("RTX 3090", 71.0, 35.6),
]


def peak_tflops(device: str, precision: str) -> tuple[float | None, str]:
    """(peak TFLOP/s or None, where it came from)."""
    if os.environ.get(PEAK_ENV):
        return float(os.environ[PEAK_ENV]), PEAK_ENV
    if device != "cuda":
        return None, "no peak for a CPU (set SPECC_PEAK_TFLOPS for MFU)"
    import torch
    name = torch.cuda.get_device_name()
    for match, half, single in PEAKS:
        if match in name:
            return (single if precision == "fp32" else half), f"{name} ({precision})"
    return None, f"{name}: peak unknown (set SPECC_PEAK_TFLOPS for MFU)"


def flops_per_token(model: Any, context: int, trained_share: float = 1.0) -> float:
    """6·N + 12·L·d·T; with LoRA (`trained_share` < 1) the weight gradients of frozen
    weights are not computed: 4·N (forward 2N + activation gradients 2N)."""
    cfg = model.config
    n = sum(p.numel() for p in model.parameters())
    for name in ("wpe", "embed_positions"):
        for module_name, module in model.named_modules():
            if module_name.endswith(name) and hasattr(module, "weight"):
                n -= module.weight.numel()
                break
    layers = getattr(cfg, "n_layer", None) or getattr(cfg, "num_hidden_layers", 0)
    width = getattr(cfg, "n_embd", None) or getattr(cfg, "hidden_size", 0)
    weights = 6.0 * n if trained_share >= 1.0 else 4.0 * n
    return weights + 12.0 * layers * width * context


class StepMonitor:
    """Called once per optimiser step with the step's metrics."""

    def __init__(self, ctx: Any, total: int | None, flops: float, device: str, precision: str):
        self.ctx, self.total, self.flops = ctx, total, flops
        peak, source = peak_tflops(device, precision)
        # N workers: tokens/s is the whole group's, so the peak is N devices'.
        self.peak = peak * 1e12 * getattr(getattr(ctx, "parallel", None), "world_size", 1) if peak else None
        ctx.record(flops_per_token=flops, mfu_peak_tflops=peak, mfu_peak_source=source)

    def __call__(self, step: int, **metrics: Any) -> None:
        rate = metrics.get("tokens_per_s")
        if self.peak and rate:
            metrics["mfu"] = rate * self.flops / self.peak
        self.ctx.progress(step, self.total, loss=metrics.get("loss"), tokens_per_s=rate)
        self.ctx.metrics(step, **metrics)

    def history_row(self, row: dict[str, Any]) -> None:
        """The pretraining loop's history row (step, loss, lr, grad_norm, tokens_per_s ...)."""
        self(row["step"], loss=row["loss"], lr=row["lr"], grad_norm=row["grad_norm"],
             tokens_per_s=row["tokens_per_s"])


def trainer_callback(monitor: StepMonitor, rename: dict[str, str]) -> Any:
    """A transformers TrainerCallback reporting every logged step of a TRL trainer through
    `monitor`, TRL's metric names renamed as in history.parquet (`rename`, "/" -> "_").
    tokens/s counts the tokens (attention mask) of the trained model's forward passes in
    the step over its wall time; the count stays on the device until the step ends."""
    import time

    from transformers import TrainerCallback

    class ReportSteps(TrainerCallback):
        def __init__(self):
            self.tokens, self.rate, self.hook, self.t0 = 0, None, None, 0.0

        def _count(self, module, args, kwargs):
            if module.training:
                mask = kwargs.get("attention_mask")
                ids = kwargs.get("input_ids", args[0] if args else None)
                self.tokens = self.tokens + (mask.sum() if mask is not None else
                                             ids.numel() if ids is not None else 0)

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            monitor.total = state.max_steps
            if model is not None:
                self.hook = model.register_forward_pre_hook(self._count, with_kwargs=True)
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            now = time.perf_counter()
            self.rate = float(self.tokens) / (now - self.t0) if now > self.t0 else None
            self.tokens, self.t0 = 0, now

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "loss" not in logs:  # the end-of-training summary, not a step
                return
            metrics = {rename.get(k, k.replace("/", "_")): v for k, v in logs.items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool)}
            metrics["tokens_per_s"] = self.rate
            monitor(state.global_step, **metrics)

        def on_train_end(self, args, state, control, **kwargs):
            if self.hook is not None:
                self.hook.remove()

    return ReportSteps()
