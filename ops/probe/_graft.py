"""Grafting parts of a donor model into a recipient with forward hooks (nothing is copied,
the cached models are never modified).

    component mlp    the MLP of each grafted block (OPT: fc1 and fc2, its two linears)
    component block  the whole decoder block

    mode weights      the donor's module runs in the receiver's place, on the receiver's
                      own input at that point: a true graft
    mode activations  ... replaced by the donor's output recorded on the same batch
                      when the donor ran alone (activation patching)
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from ._layers import Anatomy, first_tensor, replace_first


def graft_pairs(receiver: Anatomy, donor: Anatomy, layers: Sequence[int], component: str) -> list[tuple[Any, Any]]:
    """(receiver module, donor module) pairs whose outputs are exchanged."""
    if component == "block":
        return [(receiver.blocks[i], donor.blocks[i]) for i in layers]
    if receiver.family == "opt":
        return [(getattr(receiver.blocks[i], name), getattr(donor.blocks[i], name))
                for i in layers for name in ("fc1", "fc2")]
    return [(receiver.mlps[i], donor.mlps[i]) for i in layers]


@contextmanager
def grafted(pairs: Sequence[tuple[Any, Any]], recorded: dict[int, Any] | None = None) -> Iterator[None]:
    """Inside: each receiver module returns its donor's output. `recorded` maps
    id(donor module) -> that module's output on the same batch (activation patching: a
    forward hook swaps the output); None runs the donor module in the receiver's place
    (weights: the receiver's `forward` is the donor's for the duration, so the receiver
    never runs and a key/value cache is written once, by the donor's attention)."""
    handles, swapped = [], []

    def patch(donor_module: Any):
        def hook(module: Any, args: Any, output: Any) -> Any:
            return replace_first(output, recorded[id(donor_module)])
        return hook

    try:
        for receiver_module, donor_module in pairs:
            if recorded is not None:
                handles.append(receiver_module.register_forward_hook(patch(donor_module)))
            else:
                swapped.append((receiver_module, receiver_module.__dict__.get("forward")))
                receiver_module.forward = donor_module.forward
        yield
    finally:
        for handle in handles:
            handle.remove()
        for module, own in swapped:
            if own is None:
                del module.forward
            else:
                module.forward = own


@contextmanager
def recording(modules: Sequence[Any]) -> Iterator[dict[int, Any]]:
    """Outputs of `modules` on the next forward pass, by id(module)."""
    out: dict[int, Any] = {}
    handles = [m.register_forward_hook(lambda mod, a, o: out.__setitem__(id(mod), first_tensor(o)))
               for m in modules]
    try:
        yield out
    finally:
        for handle in handles:
            handle.remove()
