"""The op registry: every op a spec can name in `op:`, by name.

Each op is one small module defining `Params` and `OP`; this file imports the
modules listed in `_MODULES`, registers each `OP` under its name and freezes the
registry, so a spec can never change what an op name means. To add an op, write
its module and add it to `_MODULES`.

Ops of your own (a lab's probe, the tiny ops of specc's tests) live in your own
modules: name them in `SPECC_PLUGINS` (comma-separated module names) and each
one's `OP` (or list `OPS`) is registered before the freeze. Plugin op names need a
dot (`mylab.probe`) and can never replace a built-in op. Workers on a cluster need
the same variable and the modules importable (specc forwards the variable).
"""
from __future__ import annotations

import dataclasses
import hashlib

from specc.registry import Registry, plugin_modules

from ._op import (BYTES_PER_TOKEN, Artifact, Cost, CostContext, DataRef, DataStats, ModelRef,
                  Op, OpNotImplemented, OpParams, PluginError, Ref, TableOrDataRef, TableRef, TokenizerRef)
from .analyse import corpus_stats, correlate, influence
from .eval import check, generate, judge, logprob_pairs, multiple_choice, perplexity
from .probe import activations, attention, diff_means, graft, linear, logit_lens, steer
from .train import dpo, orpo, pretrain, sft, tokenizer

_MODULES = (
    # train
    tokenizer, pretrain, sft, dpo, orpo,
    # evaluate
    logprob_pairs, multiple_choice, perplexity, generate, judge, check,
    # probe
    activations, linear, logit_lens, diff_means, steer, graft, attention,
    # analyse
    corpus_stats, correlate, influence,
)

PLUGINS_ENV = "SPECC_PLUGINS"


def _plugin_ops() -> list[Op]:
    found = []
    for name, module in plugin_modules(PLUGINS_ENV, PluginError):
        ops = list(getattr(module, "OPS", ())) or ([module.OP] if hasattr(module, "OP") else [])
        if not ops:
            raise PluginError(f"{PLUGINS_ENV}: plugin module {name!r} defines neither OP nor OPS")
        for op in ops:
            if not isinstance(op, Op) or "." not in op.name:
                raise PluginError(f"{PLUGINS_ENV}: {name}: {op!r} is not an Op with a dotted name "
                                  "(e.g. 'mylab.probe')")
        digest = _source_digest(module)
        found += [dataclasses.replace(op, source_digest=digest) for op in ops]
    return found


def _source_digest(module) -> str:
    """sha256 of the module's source file (a package: its __init__); of its name when it
    has no file (a module built in memory), which only its version then distinguishes."""
    path = getattr(module, "__file__", None)
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except (OSError, TypeError):
        return hashlib.sha256(module.__name__.encode()).hexdigest()


OPS: Registry[Op] = Registry("op")
for _module in _MODULES:
    OPS.register(_module.OP.name, _module.OP)
BUILTIN = frozenset(m.OP.name for m in _MODULES)
for _op in _plugin_ops():
    if _op.name in OPS:
        raise PluginError(f"{PLUGINS_ENV}: plugin op {_op.name!r} would replace a registered op")
    OPS.register(_op.name, _op)
OPS.freeze()

__all__ = [
    "OPS", "BUILTIN", "PLUGINS_ENV", "PluginError", "Op", "OpParams", "OpNotImplemented", "Cost", "CostContext", "DataStats",
    "Ref", "DataRef", "ModelRef", "TokenizerRef", "TableRef", "TableOrDataRef",
    "Artifact", "BYTES_PER_TOKEN",
]
