"""The spec language, v1, as pydantic models.

Stage params are not modelled here: each op validates its own (see `specc.ops`),
so a stage keeps its op-specific keys as extras. Everything else is checked by
these models, and `specc schema` turns them into a JSON Schema for editors.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import (BaseModel, ConfigDict, Discriminator, Field, StrictBool, StrictFloat,
                      StrictInt, StrictStr, StringConstraints, Tag, ValidationInfo,
                      field_validator, model_validator)

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
# Axis values: plain scalars only, never coerced ("1" stays a string, 1 an int).
AxisValue = Union[StrictBool, StrictInt, StrictFloat, StrictStr]
# Seeds reach numpy's legacy seeding through transformers' set_seed, which takes 0..2**32-1:
# a bigger seed would pass validation and then fail the task.
MAX_SEED = 2**32 - 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ---------------------------------------------------------------- data sources

class Split(BaseModel):
    """Named parts by fraction (`train: 0.9, heldout: 0.1`) and how the cut is made."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, StrictFloat | StrictInt]

    seed: StrictInt | None = Field(None, ge=0, description=(
        "Seed of the split (and of sampled limits): default the spec's `seed`. One split "
        "for the whole spec, whatever the task's seed."))
    group_by: str | None = Field(None, min_length=1, description=(
        "Column whose records stay together: every record of a group lands in one part "
        "(items repeated across prompts or templates never straddle train and held-out)."))
    per_seed: StrictBool = Field(False, description=(
        "Resplit per task seed (the task's `seed` axis seeds the split). Off by default; "
        "the reports say so when on."))

    @property
    def parts(self) -> dict[str, float]:
        return dict(self.__pydantic_extra__ or {})

    @model_validator(mode="after")
    def _fractions(self) -> "Split":
        parts = self.parts
        if not parts:
            raise ValueError("a split names its parts with fractions, e.g. {train: 0.9, heldout: 0.1}")
        for name, frac in parts.items():
            if not re.match(NAME_PATTERN, name):
                raise ValueError(f"split name {name!r} must be a plain name like 'train'")
            if not 0 < frac <= 1:
                raise ValueError(f"split {name!r} has fraction {frac}; fractions lie in (0, 1]")
        total = sum(parts.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"split fractions add up to {total:g}, not 1")
        return self


class _LocalSource(Strict):
    exclude: list[str] = Field(
        default_factory=list, description="Globs of files to leave out of the match, e.g. ['*summary*'].")
    split: Split | None = Field(
        None, description="Deterministic split into named parts by fraction, e.g. {train: 0.98, heldout: 0.02}, "
                          "fixed for the whole spec (seed: the spec's, or `seed:` here; `group_by: COLUMN` keeps "
                          "groups whole); refer to a part as `source.part`, limited as `source.part[:100]` or "
                          "`source.part[sample:100]`.")

    @property
    def pattern(self) -> str:
        return getattr(self, self.kind)


class TextSource(_LocalSource):
    kind: Literal["text"] = Field("text", exclude=True)
    text: str = Field(description="Plain-text file or glob, relative to the spec file.")


class JsonlSource(_LocalSource):
    kind: Literal["jsonl"] = Field("jsonl", exclude=True)
    jsonl: str = Field(description="JSON-lines file or glob, one record per line.")


class CsvSource(_LocalSource):
    kind: Literal["csv"] = Field("csv", exclude=True)
    csv: str = Field(description="CSV file or glob with a header row.")


class ParquetSource(_LocalSource):
    kind: Literal["parquet"] = Field("parquet", exclude=True)
    parquet: str = Field(description="Parquet file or glob.")


class HubSource(Strict):
    """A Hugging Face hub dataset; loaded through `datasets` at run time only."""

    kind: Literal["hf"] = Field("hf", exclude=True)
    hf: str = Field(description="Dataset path on the hub, e.g. 'nyu-mll/glue'.")
    name: str | None = Field(None, description="Dataset configuration name.")
    revision: str = Field(description="Commit or tag to pin: same spec, same data.")
    split: str = Field("train", description="Hub split to load, e.g. 'train' or 'validation[:10%]'.")
    streaming: bool = Field(False, description="Stream instead of downloading the whole split.")
    data_files: str | list[str] | None = Field(None, description=(
        "Remote files for a packaged builder (`hf: csv | json | parquet | text`), e.g. a data file "
        "in a git repository at a pinned commit. https URLs only: local files are `csv:`, `jsonl:` ... "
        "sources, which are checked against the data roots."))
    rename: dict[str, Name] = Field(default_factory=dict, description=(
        "Columns to rename as the data is loaded, e.g. {\"*BStress\": BStress}: a measure or op "
        "param names columns as identifiers."))

    @field_validator("data_files")
    @classmethod
    def _https_only(cls, value: str | list[str] | None) -> str | list[str] | None:
        for url in [value] if isinstance(value, str) else value or []:
            if not url.startswith("https://"):
                raise ValueError(f"data_files {url!r} is not an https URL; read local files with "
                                 "a csv:, jsonl:, parquet: or text: source (they stay inside the data roots)")
        return value
    # Size hints, as `n_params` is for a hub model: a hub split is not read before the run, so
    # without them the plan cannot price the stages that read it. Not part of the data's
    # identity (cache keys): they describe the split, they do not choose it.
    records: int | None = Field(None, gt=0, description=(
        "Records in the loaded split, for cost estimates before download (with tokens_per_record)."))
    tokens_per_record: float | None = Field(None, gt=0, description=(
        "Mean tokens per record (all its text fields), for cost estimates before download."))

    @model_validator(mode="after")
    def _size_hints_together(self) -> "HubSource":
        if (self.records is None) != (self.tokens_per_record is None):
            raise ValueError("records and tokens_per_record are cost hints given together: the "
                             "plan prices a stage by records x tokens per record")
        return self


SOURCE_KINDS = ("text", "jsonl", "csv", "parquet", "hf")
HUB_SIZE_HINTS = {"records", "tokens_per_record"}   # cost hints of a hub source, not its identity


def _source_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return getattr(value, "kind", None)
    if isinstance(value, dict):
        found = [k for k in SOURCE_KINDS if k in value]
        return found[0] if len(found) == 1 else None
    return None


DataSource = Annotated[
    Union[Annotated[TextSource, Tag("text")], Annotated[JsonlSource, Tag("jsonl")],
          Annotated[CsvSource, Tag("csv")], Annotated[ParquetSource, Tag("parquet")],
          Annotated[HubSource, Tag("hf")]],
    Discriminator(_source_kind)]


# ---------------------------------------------------------------------- models

class ConfigModel(Strict):
    """A causal LM built from a config and trained from scratch."""

    kind: Literal["config"] = Field("config", exclude=True)
    init: Literal["gpt2", "opt", "llama"] = Field(description="Architecture family.")
    n_layer: int = Field(gt=0, description="Number of transformer blocks.")
    n_embd: int = Field(gt=0, description="Width of the residual stream.")
    n_head: int = Field(gt=0, description="Attention heads; must divide n_embd.")
    n_positions: int = Field(1024, gt=0, description="Longest sequence the model accepts.")
    n_kv_head: int | None = Field(None, gt=0, description="llama only: key/value heads (grouped-query attention).")
    d_ff: int | None = Field(None, gt=0, description="MLP width; default 4*n_embd (gpt2, opt) or ~8/3*n_embd (llama).")
    vocab_size: int | None = Field(None, gt=0, description="Default: the tokenizer's vocabulary (50257 without one).")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout everywhere; 0 for short from-scratch runs.")
    tie_embeddings: bool = Field(True, description="Share input and output embeddings.")

    # Field validators (not one model validator) so an error points at the offending field.
    @field_validator("n_head")
    @classmethod
    def _heads_divide_width(cls, v: int, info: ValidationInfo) -> int:
        width = info.data.get("n_embd")
        if width and width % v:
            raise ValueError(f"n_head={v} must divide n_embd={width}")
        if width and info.data.get("init") == "llama" and (width // v) % 2:
            raise ValueError(f"llama head size n_embd/n_head={width // v} must be even (rotary)")
        return v

    @field_validator("n_kv_head")
    @classmethod
    def _kv_heads(cls, v: int | None, info: ValidationInfo) -> int | None:
        init, heads = info.data.get("init"), info.data.get("n_head")
        if v is not None and init is not None and init != "llama":
            raise ValueError(f"n_kv_head is a llama setting; {init} has one key/value head per head")
        if v is not None and heads and heads % v:
            raise ValueError(f"n_kv_head={v} must divide n_head={heads}")
        return v


class HubModel(Strict):
    kind: Literal["hub"] = Field("hub", exclude=True)
    hub: str = Field(description="Model id on the hub, e.g. 'EleutherAI/pythia-70m'.")
    revision: str = Field(description="Commit or tag to pin: same spec, same weights.")
    n_params: int | None = Field(None, gt=0, description="Parameter count, for cost estimates before download.")


class LocalModel(Strict):
    kind: Literal["path"] = Field("path", exclude=True)
    path: str = Field(description="Directory of a saved transformers model, relative to the spec.")
    n_params: int | None = Field(None, gt=0, description="Parameter count, for cost estimates.")


MODEL_KINDS = {"init": "config", "hub": "hub", "path": "path"}


def _model_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return getattr(value, "kind", None)
    if isinstance(value, dict):
        found = [MODEL_KINDS[k] for k in MODEL_KINDS if k in value]
        return found[0] if len(found) == 1 else None
    return None


ModelSpec = Annotated[
    Union[Annotated[ConfigModel, Tag("config")], Annotated[HubModel, Tag("hub")],
          Annotated[LocalModel, Tag("path")]],
    Discriminator(_model_kind)]


# ------------------------------------------------------------------ conditions

class Conditions(BaseModel):
    """The design matrix: every other key is an axis with its list of values."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, Annotated[list[AxisValue], Field(min_length=1)]]

    zip: list[dict[Name, Annotated[list[AxisValue], Field(min_length=1)]]] = Field(
        default_factory=list, description="Groups of axes that vary together, value by value.")
    include: list[dict[Name, AxisValue]] = Field(
        default_factory=list, description="Extra rows added after the product.")
    exclude: list[dict[Name, Union[AxisValue, list[AxisValue]]]] = Field(
        default_factory=list, description="Rows matching every key (a value or a list) are dropped.")

    @property
    def axes(self) -> dict[str, list]:
        return dict(self.__pydantic_extra__ or {})


# ---------------------------------------------------------------------- stages

def _parse_memory(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", str(value))
    if not m:
        raise ValueError(f"memory {value!r} is not a size like '16GiB' or '512MB'")
    unit = m.group(2)
    base = 1024 if "i" in unit else 1000
    power = {"B": 0, "K": 1, "M": 2, "G": 3, "T": 4}[unit[0]]
    return int(float(m.group(1)) * base ** power)


class Resources(Strict):
    gpus: float = Field(0, ge=0, description=(
        "GPUs per task; fractions below 1 share a GPU. N > 1 on a training stage trains on N "
        "data-parallel workers, one per GPU (Ray Train; DDP or FSDP, see `sharding`)."))
    gpus_per_node: int | None = Field(None, gt=0, description=(
        "Workers (GPUs) per node when `gpus` spans several nodes, e.g. gpus: 16, gpus_per_node: 8 "
        "= 2 nodes of 8. Default: one node if the task fits one, else any placement."))
    workers: int | None = Field(None, gt=0, description=(
        "Data-parallel workers of a CPU stage (gloo backend): for tests and CPU clusters. A GPU "
        "stage has one worker per GPU (its world size is `gpus`)."))
    # The default is left out of dumps (exclude_if), so locks frozen before this field existed
    # keep their hash; an explicit choice is frozen like any other resource.
    sharding: Literal["auto", "none", "full", "hybrid"] = Field("auto", exclude_if=lambda v: v == "auto",
                                                              description=(
        "With several workers: none = DDP (each holds the whole model), full = FSDP FULL_SHARD "
        "(weights, gradients and optimiser state split over all workers), hybrid = FSDP "
        "HYBRID_SHARD (split within a node, replicated across nodes), auto = none when the "
        "training state fits one device, else FSDP. Changes memory and speed, not results."))
    cpus: float = Field(1, gt=0, description="CPU cores per task (per worker when it has several).")
    memory: int | None = Field(None, description="Memory per task (per worker), e.g. '16GiB'.")

    _memory = field_validator("memory", mode="before")(classmethod(lambda cls, v: _parse_memory(v)))

    @field_validator("gpus")
    @classmethod
    def _whole_gpus(cls, v: float) -> float:
        if v > 1 and not float(v).is_integer():
            raise ValueError(f"gpus={v}: more than one GPU must be a whole number (Ray's rule)")
        return v

    @model_validator(mode="after")
    def _one_world(self) -> "Resources":
        if self.workers is not None and self.gpus > 0 and self.workers != max(1, int(self.gpus)):
            raise ValueError(f"workers={self.workers} with gpus={self.gpus:g}: a GPU stage has one worker "
                             f"per GPU; drop workers (or ask for gpus: {self.workers})")
        if self.gpus_per_node is not None:
            if self.gpus <= 1:
                raise ValueError(f"gpus_per_node={self.gpus_per_node} needs gpus > 1 (workers spread over nodes)")
            if self.gpus_per_node > self.gpus or int(self.gpus) % self.gpus_per_node:
                raise ValueError(f"gpus_per_node={self.gpus_per_node} must divide gpus={self.gpus:g} "
                                 "(the same number of workers on every node)")
        return self

    @property
    def world_size(self) -> int:
        """Training processes of a task: one per GPU, or `workers` on CPU; 1 by default."""
        return int(self.gpus) if self.gpus > 1 else (self.workers or 1)


class Stage(BaseModel):
    """A step of the experiment; keys other than these are the op's params."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)
    op: str = Field(description="Registered op name, see `specc ops`.")
    over: list[Name] = Field(default_factory=list, description="Axes this stage varies along.")
    resources: Resources = Field(default_factory=Resources)
    when: str | None = Field(None, description="Gate, e.g. 'H1 is not supported'.")
    doc: str | None = Field(None, description="Why this stage exists.")
    family: dict[Name, Annotated[list[Name], Field(min_length=1)]] | None = Field(None, description=(
        "One definition applied to several upstream models, e.g. {model: [sft_full, sft_lora]}: "
        "one task per member (and condition), one table with an `upstream` column naming it."))

    @field_validator("family")
    @classmethod
    def _one_family_param(cls, v: dict | None) -> dict | None:
        if v is not None and len(v) != 1:
            raise ValueError("a family varies one param, e.g. {model: [sft_full, sft_lora]}")
        for members in (v or {}).values():
            twice = sorted({m for i, m in enumerate(members) if m in members[:i]})
            if twice:
                raise ValueError(f"family lists {', '.join(twice)} twice")
        return v

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})


# ------------------------------------------------------------------ hypotheses

class Interval(Strict):
    method: Literal["bca", "percentile", "basic", "fisher_z", "none"] = "bca"
    level: float = Field(0.95, gt=0.5, lt=1)
    unit: str | None = Field(None, description="Resampling unit: item, prompt, seed, condition or a "
                             "column. Default: the join key of a `by` join, else item.")
    n_resamples: int = Field(10_000, ge=100)


class Test(Strict):
    method: Literal["permutation", "t", "wilcoxon", "binomial"]
    alpha: float | None = Field(None, gt=0, lt=1, description="Default: decision.alpha.")
    alternative: Literal["greater", "less", "two-sided"] | None = Field(
        None, description="Default: the direction of `expect`.")
    n_permutations: int = Field(10_000, ge=100)
    # Left out of dumps when unset (exclude_if), so locks frozen before it existed still match.
    null: float | None = Field(None, exclude_if=lambda v: v is None, description=(
        "Declares the null of a test whose null is fixed (correlations: no association; cohens_d: "
        "equal means), which is 0 whatever the threshold. With `interval: {method: none}` the "
        "hypothesis is then supported when the test rejects 0 AND the estimate reaches the "
        "threshold (a minimum effect): an exact permutation test of a correlation over a few "
        "units, e.g. 5 conditions, where no interval is honest."))


class Assume(Strict):
    """The effect a design is planned for: the power at it is reported before running."""

    value: float = Field(description="Expected value of the measure (e.g. a correlation of 0.6, an "
                                     "accuracy of 0.7, a mean difference of 0.2).")
    sd: float | None = Field(None, gt=0, description="Expected per-unit standard deviation (means and "
                                                     "differences of non-0/1 columns).")


class Hypothesis(Strict):
    statement: str = Field(min_length=1)
    kind: Literal["confirmatory", "exploratory"] = "confirmatory"
    measure: str = Field(min_length=1, description="What to compute, e.g. 'mean(score.correct)'.")
    expect: str = Field(description="Comparator and pre-registered threshold, e.g. '>= 0.7'.")
    interval: Interval = Field(default_factory=Interval)
    test: Test | None = None
    when: str | None = Field(None, description="Gate, e.g. 'H1 is supported'.")
    missing: Literal["error", "drop"] | None = Field(None, description=(
        "Empty (NaN) or non-numeric values in a measured column: an error naming the file, column "
        "and rows (the default), or `drop`: those rows are left out and counted in both reports."))
    assume: Assume | None = Field(None, description="The effect the design is planned for (power is "
                                                    "reported at it).")

    @field_validator("expect", mode="before")
    @classmethod
    def _expect_text(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise ValueError(f"expect needs a comparator and a threshold, e.g. '>= {v}'")
        return v


class Decision(Strict):
    alpha: float = Field(0.05, gt=0, lt=1)
    correction: Literal["none", "holm", "bonferroni", "bh"] = "holm"
    min_power: float | None = Field(None, gt=0, lt=1, description="Refuse a design whose confirmatory "
                                    "hypotheses have less power than this at their assumed effect.")


class Budget(Strict):
    gpu_hours: float | None = Field(None, gt=0, description="Compile error when the estimate exceeds it.")
    device: str = Field("H100 SXM, bf16 dense", description="The device the estimate assumes.")
    device_tflops: float = Field(989.0, gt=0, description="Peak dense throughput of that device, TFLOP/s.")
    utilization: float = Field(0.4, gt=0, le=1, description="Model FLOPs utilisation (MFU) assumed.")
    max_gpus_per_task: int = Field(8, ge=0, description=(
        "Most GPUs one node offers: a task asking for more must spread over nodes (gpus_per_node)."))
    parallel_efficiency: float = Field(0.9, gt=0, le=1, description=(
        "Share of the linear speed-up a task on N > 1 GPUs achieves (communication, stragglers): "
        "its estimate is its FLOPs at N x the device rate x this; GPU-hours count all N GPUs."))


class Container(Strict):
    variant: Literal["cpu", "cuda"] = Field("cpu", description="The image variant containers/image.lock pins.")
    engine: Literal["podman", "docker"] | None = Field(
        None, description="Container engine (default: SPECC_CONTAINER_ENGINE, else podman, else docker).")


class Runtime(Strict):
    container: Container | None = Field(
        None, description="Run every task inside the pinned image: `cpu`, `cuda`, or {variant, engine}.")

    @field_validator("container", mode="before")
    @classmethod
    def _container_shorthand(cls, v: Any) -> Any:
        return {"variant": v} if isinstance(v, str) else v


class LeakageCheck(Strict):
    """Opt-in: exact-text overlap between two data parts (e.g. what is injected vs what is audited)."""

    between: list[str] = Field(min_length=2, max_length=2, description=(
        "Two data references, e.g. [religion.inject, religion.audit]."))
    field: str | list[str] = Field("text", description=(
        "Column compared (one for both, or one per reference); plain-text sources compare lines."))
    on_overlap: Literal["error", "warn"] = Field("error", description=(
        "An overlap fails the compile (error) or is reported as a warning (warn)."))


class Spec(Strict):
    specc: Literal[1] = Field(description="Spec format version.")
    name: Slug = Field(description="Identity of the experiment; safe as a file name.")
    title: str = Field(min_length=1)
    question: str = Field(min_length=1)
    authors: list[str] = Field(default_factory=list)
    seed: int = Field(0, ge=0, le=MAX_SEED,
                      description="Seed for every task whose condition has no `seed` axis (0..2**32-1).")
    data: dict[Name, DataSource] = Field(default_factory=dict)
    leakage: list[LeakageCheck] = Field(
        default_factory=list, description="Exact-text overlap checks between data parts, run at compile time.")
    models: dict[Name, ModelSpec] = Field(default_factory=dict)
    conditions: Conditions = Field(default_factory=Conditions)
    # Optional: hypotheses over data sources alone (re-analysing a published table) need no
    # stage, and such a spec runs without starting Ray.
    stages: dict[Name, Stage] = Field(default_factory=dict)
    hypotheses: dict[Name, Hypothesis] = Field(default_factory=dict)
    decision: Decision = Field(default_factory=Decision)
    budget: Budget = Field(default_factory=Budget)
    runtime: Runtime = Field(default_factory=Runtime, description="How tasks run (not part of the "
                             "pre-registered content): `container: cpu` runs them in the pinned image.")
    profiles: dict[Name, dict[str, Any]] = Field(
        default_factory=dict, description="Named overrides, dotted path -> value, applied by --profile.")
