"""Cost estimates: each op says how many FLOPs a task needs; the plan turns
FLOPs into GPU-hours at the spec's declared device throughput and utilisation
(`budget.device_tflops` x `budget.utilization`, default H100 bf16 dense at 40% MFU).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specc.ops._op import DataStats

from .model_size import param_count
from .spec_model import ConfigModel


def gpu_hours(flops: float, device_flops: float) -> float:
    """`device_flops` is the sustained rate: peak x utilisation, in FLOP/s."""
    return flops / device_flops / 3600.0


@dataclass
class StageCostContext:
    """What an op's cost model may ask about the spec, seen from one stage."""

    spec: Any
    infos: dict
    stats: dict[str, DataStats]          # data source (or source.split) -> size
    params: Any = None                   # the asking stage's params
    upstream: dict[str, int] = field(default_factory=dict)  # stage -> size of the model this task reads

    def model_params(self, name: str, _seen: frozenset = frozenset()) -> int | None:
        if name in self.upstream:
            return self.upstream[name]
        if name in self.spec.models:
            model = self.spec.models[name]
            if isinstance(model, ConfigModel):
                return param_count(model, self._vocab(self.params))
            return getattr(model, "n_params", None)
        info = self.infos.get(name)
        if info is None or name in _seen or info.any_params is None:
            return None
        base = getattr(info.any_params, "model", None)
        if not isinstance(base, str):
            return None
        inner = StageCostContext(self.spec, self.infos, self.stats, info.any_params)
        return inner.model_params(base, _seen | {name})

    def data_stats(self, name: str) -> DataStats | None:
        return self.stats.get(name)

    def _vocab(self, params: Any) -> int | None:
        tokenizer = getattr(params, "tokenizer", None)
        info = self.infos.get(tokenizer) if isinstance(tokenizer, str) else None
        if info is not None and info.any_params is not None:
            return getattr(info.any_params, "vocab_size", None)
        return None
