"""Steering: edit the residual stream along a direction while a model scores or generates.

    with steering(lm, direction, alpha=8.0, layers=[4]):              # h += alpha * d
        lm(input_ids=...)          # or lm.generate(...), or the eval scorer
    with steering(lm, d, alpha=0.0, layers="2/3:", mode="project"):   # h += (alpha-1)(d.h)d
        ...

The edit is a forward hook on the output of each chosen decoder block, so it applies
at every position a forward pass computes: a prompt, every scored continuation, and
each new token of `generate` (whose cached keys were computed under the same edit).

    mode "add"      h <- h + alpha * d            d as given: a unit direction from
                                                  probe.diff_means makes alpha a length
    mode "project"  h <- h + (alpha - 1)(d.h) d   d normalised first: alpha 0 removes
                                                  the component along d, 2 doubles it

The identity setting (alpha 0 for add, 1 for project) installs no hook at all, so the
outputs are bit-identical to the unsteered model's. `direction` is one vector for every
layer, or a mapping {layer: vector} for a direction per layer. `layers` takes the same
selectors as the probe ops (indices, negative indices, fractions, "FROM:TO" slices).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Sequence

from ._layers import anatomy, first_tensor, replace_first, resolve_layers

MODES = ("add", "project")


def is_identity(alpha: float, mode: str) -> bool:
    return alpha == (0.0 if mode == "add" else 1.0)


def _vector(direction: Any, like: Any) -> Any:
    import torch
    return torch.as_tensor(direction).to(device=like.device, dtype=like.dtype)


@contextmanager
def steering(model: Any, direction: Any, alpha: float, layers: str | Sequence[object],
             mode: str = "add") -> Iterator[list[int]]:
    """Steer `model` inside the block; yields the resolved block indices."""
    if mode not in MODES:
        raise ValueError(f"steering mode {mode!r}: expected one of {', '.join(MODES)}")
    blocks = anatomy(model).blocks
    chosen = resolve_layers(layers, len(blocks))
    if is_identity(alpha, mode):
        yield chosen
        return
    per_layer = isinstance(direction, Mapping)
    handles = []
    try:
        for layer in chosen:
            raw = direction[layer] if per_layer else direction
            handles.append(blocks[layer].register_forward_hook(_hook(raw, float(alpha), mode)))
        yield chosen
    finally:
        for handle in handles:
            handle.remove()


def _hook(raw: Any, alpha: float, mode: str):
    cache: dict[tuple, Any] = {}

    def hook(module: Any, args: Any, output: Any) -> Any:
        h = first_tensor(output)
        key = (h.device, h.dtype)
        d = cache.get(key)
        if d is None:
            d = _vector(raw, h)
            if mode == "project":
                d = d / d.norm()
            cache[key] = d
        if mode == "add":
            steered = h + alpha * d
        else:
            steered = h + (alpha - 1.0) * (h @ d).unsqueeze(-1) * d
        return replace_first(output, steered)
    return hook
