"""The op registry: every op a spec can name in `op:`, by name.

Each op is one small module defining `Params` and `OP`; this file imports the
modules listed in `_MODULES`, registers each `OP` under its name and freezes the
registry, so a spec can never change what an op name means. To add an op, write
its module and add it to `_MODULES`.
"""
from __future__ import annotations

from specc.compiler.registry import Registry

from ._op import (BYTES_PER_TOKEN, Artifact, Cost, CostContext, DataRef, DataStats, ModelRef,
                  Op, OpNotImplemented, OpParams, Ref, TableOrDataRef, TableRef, TokenizerRef)
from .analyse import bootstrap, corpus_stats, correlate, effect_size, variance_ratio
from .eval import logprob_pairs, multiple_choice, perplexity
from .probe import activations, diff_means, graft, linear, logit_lens, steer
from .train import dpo, orpo, pretrain, sft, tokenizer

_MODULES = (
    # train
    tokenizer, pretrain, sft, dpo, orpo,
    # evaluate
    logprob_pairs, multiple_choice, perplexity,
    # probe
    activations, linear, logit_lens, diff_means, steer, graft,
    # analyse
    corpus_stats, correlate, bootstrap, effect_size, variance_ratio,
)

OPS: Registry[Op] = Registry("op")
for _module in _MODULES:
    OPS.register(_module.OP.name, _module.OP)
OPS.freeze()

__all__ = [
    "OPS", "Op", "OpParams", "OpNotImplemented", "Cost", "CostContext", "DataStats",
    "Ref", "DataRef", "ModelRef", "TokenizerRef", "TableRef", "TableOrDataRef",
    "Artifact", "BYTES_PER_TOKEN",
]
