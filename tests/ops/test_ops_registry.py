"""The op registry as a whole: names, docs, versions, described params, refs."""
from __future__ import annotations

import importlib
import json
import typing

import pytest
from pydantic import BaseModel

from specc.registry import UnknownName
from specc.ops import BUILTIN, OPS, Op, OpNotImplemented, OpParams, Ref

EXPECTED = {
    "train.tokenizer", "train.pretrain", "train.sft", "train.dpo", "train.orpo",
    "eval.logprob_pairs", "eval.multiple_choice", "eval.perplexity",
    "eval.generate", "eval.judge", "eval.check",
    "probe.activations", "probe.linear", "probe.logit_lens", "probe.diff_means", "probe.attention",
    "probe.steer", "probe.graft",
    "analyse.corpus_stats", "analyse.correlate", "analyse.influence",
}
ALL = [(n, op) for n, op in OPS.items() if n in BUILTIN]  # not the tests' plugin ops


def _models_in(annotation: object) -> typing.Iterator[type[BaseModel]]:
    """Models anywhere in an annotation: Optional, Annotated tagged unions, lists of models."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def submodels(cls: type[BaseModel]) -> typing.Iterator[tuple[str, type[BaseModel]]]:
    yield "", cls
    for name, field in cls.model_fields.items():
        for arg in dict.fromkeys(_models_in(field.annotation)):
            for sub, model in submodels(arg):
                yield f"{name}.{sub}", model


def refs(annotation: object, metadata: list) -> set[tuple[str, ...]]:
    found = {m.accepts for m in metadata if isinstance(m, Ref)}
    for arg in typing.get_args(annotation):
        if isinstance(arg, Ref):
            found.add(arg.accepts)
        found |= refs(arg, [])
    return found


def ref_paths(cls: type[BaseModel]) -> dict[str, set[tuple[str, ...]]]:
    out = {}
    for prefix, model in submodels(cls):
        for name, field in model.model_fields.items():
            if found := refs(field.annotation, field.metadata):
                out[prefix + name] = found
    return out


def test_registry_holds_exactly_the_designed_ops():
    assert BUILTIN == EXPECTED
    assert set(OPS) - BUILTIN == {"tiny.value", "tiny.sum", "tiny.progress", "tiny.model_stat"}  # tests/plugins


def test_registry_is_frozen():
    with pytest.raises(RuntimeError, match="frozen"):
        OPS.register("train.extra", ALL[0][1])


def test_unknown_op_suggests_close_name():
    with pytest.raises(UnknownName, match="did you mean 'train.pretrain'"):
        OPS.get("train.pretrian")


@pytest.mark.parametrize("name,op", ALL, ids=[n for n, _ in ALL])
def test_op_is_well_formed(name: str, op: Op):
    assert op.name == name
    module = importlib.import_module(f"specc.ops.{name}")
    assert module.OP is op and module.Params is op.params
    assert op.doc == module.__doc__ and len(op.doc.strip()) > 100
    assert isinstance(op.version, int) and op.version >= 1
    assert issubclass(op.params, OpParams)
    assert op.produces in ("model", "tokenizer", "table")
    json.dumps(op.params.model_json_schema())  # editors get a schema for every op


@pytest.mark.parametrize("name,op", ALL, ids=[n for n, _ in ALL])
def test_every_param_is_described(name: str, op: Op):
    for prefix, model in submodels(op.params):
        assert issubclass(model, OpParams), f"{name}: {prefix} must forbid unknown keys"
        for field, info in model.model_fields.items():
            assert info.description and len(info.description) > 15, f"{name}: {prefix}{field}"


@pytest.mark.parametrize("name,op", ALL, ids=[n for n, _ in ALL])
def test_minimal_params_plan_without_known_sizes(name: str, op: Op, minimal, blind):
    # conftest's MINIMAL covers every op, so every op test can build its params from it.
    p = op.params(**minimal[name])
    assert all(isinstance(c, str) for c in op.columns(p))
    assert op.cost(p, blind).flops == 0  # unknown sizes never invent FLOPs


@pytest.mark.parametrize("name,op", ALL, ids=[n for n, _ in ALL])
def test_carries_names_a_data_or_table_param(name: str, op: Op):
    # A data source's records, or another stage's rows (eval.judge carries eval.generate's).
    if op.carries is not None:
        assert ref_paths(op.params)[op.carries] in ({("data",)}, {("table",)})


def test_an_op_without_a_run_fails_loudly():
    op = Op("x.pending", 1, OpParams, "table", lambda p, c: None, "doc")
    with pytest.raises(OpNotImplemented, match="x.pending"):
        op.execute()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_builtin_op_runs(name: str):
    assert callable(OPS.get(name).run)


def test_reference_params_use_the_ref_annotations():
    assert ref_paths(OPS.get("train.pretrain").params) == {
        "model": {("model",)}, "tokenizer": {("tokenizer",)}, "data": {("data",)},
        "inject.data": {("data",)}}
    # preference data may be a table stage too (eval.generate output: on-policy pairs)
    assert ref_paths(OPS.get("train.dpo").params) == {
        "model": {("model",)}, "tokenizer": {("tokenizer",)}, "data": {("table", "data")},
        "replay.data": {("data",)}, "reference": {("model",)}}
    assert ref_paths(OPS.get("probe.steer").params) == {
        "model": {("model",)}, "tokenizer": {("tokenizer",)}, "directions": {("table",)},
        "items": {("data",)}}
    assert ref_paths(OPS.get("analyse.correlate").params) == {
        "table": {("table", "data")}, "y_table": {("table", "data")}}
