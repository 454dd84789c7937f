"""What an op is: a params model, a version, a cost model, its outputs and a `run`.

Each op lives in its own small module (`ops/train/pretrain.py` ...) that defines
`Params` and `OP = Op(...)`; `specc.ops` imports the modules listed in
`specc/ops/__init__.py`, registers every `OP` and freezes the registry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Literal, Protocol

from pydantic import BaseModel, ConfigDict

# Rough bytes of English text per BPE token: turns data sizes into token counts
# for cost estimates before any tokenizer exists. Estimates only, never results.
BYTES_PER_TOKEN = 4.0

Artifact = Literal["model", "tokenizer", "table"]


class OpParams(BaseModel):
    """Base of every op's params: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


@dataclass(frozen=True)
class Ref:
    """Marks a param whose value names another part of the spec.

    `accepts` lists what it may name: "data" (a `data:` source, optionally
    `source.split`), "model" (a `models:` entry or a stage that produces a model),
    "tokenizer" or "table" (a stage that produces one).
    """

    accepts: tuple[str, ...]


@dataclass(frozen=True)
class ColumnOf:
    """Marks a param that names a column of what another param names (a data source
    or a table stage), e.g. `good` names a column of `items`. The compiler checks the
    column exists. `params` are looked up in the model holding the field, then in the
    op's params; the first one that is set is used. With `template`, the param is a
    format string and each of its placeholders must be a column."""

    params: tuple[str, ...]
    # The value is a format string ("{context}\n{question}") whose {placeholders} must
    # be columns, except `reserved` names the op fills in itself ({response}).
    template: bool = False
    reserved: tuple[str, ...] = ()


DataRef = Annotated[str, Ref(("data",))]
ModelRef = Annotated[str, Ref(("model",))]
TokenizerRef = Annotated[str, Ref(("tokenizer",))]
TableRef = Annotated[str, Ref(("table",))]
TableOrDataRef = Annotated[str, Ref(("table", "data"))]


@dataclass(frozen=True)
class DataStats:
    """Size of a local data source (after its split), for cost estimates."""

    records: int
    bytes: int

    @property
    def tokens(self) -> float:
        return self.bytes / BYTES_PER_TOKEN

    @property
    def tokens_per_record(self) -> float:
        return self.tokens / max(self.records, 1)


class CostContext(Protocol):
    def model_params(self, name: str) -> int | None:
        """Parameter count of a `models:` entry or of the model a stage produces."""

    def data_stats(self, name: str) -> DataStats | None:
        """Records and bytes of a local data source; None when unknown (hub data)."""


@dataclass(frozen=True)
class Cost:
    flops: float = 0.0
    tokens: float = 0.0   # tokens the task processes, shown in `specc plan`
    note: str = ""        # how the estimate was made, when not plain 6ND / 2ND


class PluginError(ImportError):
    """A module named in SPECC_PLUGINS cannot be imported or defines no valid op."""


class OpNotImplemented(RuntimeError):
    """An op whose `run` has not landed yet: it fails loudly, never pretends."""


def _no_columns(params: Any) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Op:
    name: str
    version: int
    params: type[OpParams]
    produces: Artifact
    cost: Callable[[Any, CostContext], Cost]
    doc: str
    # Columns of the output table besides the condition columns (tables only).
    columns: Callable[[Any], tuple[str, ...]] = _no_columns
    # A param naming a data source whose columns the output table carries through
    # (e.g. `items` for eval.logprob_pairs: UID, field ... stay available to measures).
    carries: str | None = None
    # The data references (from its resolved params) whose records are the rows of its output
    # table, in order, when they are not simply its first data param: analyse.corpus_stats'
    # classifier holds one row per record of `corpus` and of each `other`. The design
    # diagnostics count a hypothesis' items with it (design/units.py).
    item_sources: Callable[[dict[str, Any]], list[str]] | None = None
    # Axes this op adds for downstream stages, e.g. train.pretrain -> checkpoint.
    axes: Callable[[Any], dict[str, list]] | None = None
    # Trains data-parallel on several workers when its stage asks for gpus / workers > 1
    # (its `run` then runs in each worker, with ctx.parallel saying which one it is).
    parallel: bool = False
    run: Callable[..., Any] | None = field(default=None, compare=False)
    # Plugin ops only: sha256 of the plugin module's source, part of every cache key, so a
    # plugin edited without bumping its version never reuses stale artifacts. Built-in ops
    # are covered by the specc version in the environment fingerprint.
    source_digest: str | None = field(default=None, compare=False)

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        if self.run is None:
            raise OpNotImplemented(
                f"op {self.name!r} (version {self.version}) validates and plans, "
                "but its run has not been implemented yet")
        return self.run(*args, **kwargs)
