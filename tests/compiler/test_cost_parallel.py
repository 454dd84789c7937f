"""Tasks on several GPUs: their GPU-hours count every GPU they hold (at the declared parallel
efficiency), the plan shows their world size, and requests no node can take are compile errors."""
from __future__ import annotations

import json

import pytest

from specc.compiler import compile_spec
from specc.compiler.errors import SpecErrors

SPEC = """\
specc: 1
name: parallel
title: Parallel
question: Does it scale?
data:
  corpus: {{text: tiny.txt}}
models:
  tiny: {{init: gpt2, n_layer: 2, n_embd: 64, n_head: 2, n_positions: 128}}
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 300}}
  pretrain:
    op: train.pretrain
    model: tiny
    tokenizer: tok
    data: corpus
    steps: 100
    resources: {resources}
budget: {{parallel_efficiency: 0.8}}
"""


def plan_for(tmp_path, resources: str):
    (tmp_path / "tiny.txt").write_text("a few words of text\n" * 50)
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(resources=resources))
    return compile_spec(path)


def test_gpu_hours_count_every_gpu_at_the_parallel_efficiency(tmp_path):
    one = plan_for(tmp_path, "{gpus: 1}").stage_hours()["pretrain"]
    eight = plan_for(tmp_path, "{gpus: 8}").stage_hours()["pretrain"]
    # 8 GPUs at 80% efficiency: 1/(8 x 0.8) of the wall time, 8 GPUs held -> 1/0.8 the GPU-hours.
    assert eight == pytest.approx(one / 0.8)


def test_cpu_workers_spend_no_gpu_hours(tmp_path):
    assert plan_for(tmp_path, "{workers: 2}").stage_hours()["pretrain"] == 0


def test_plan_shows_world_size_nodes_and_sharding(tmp_path):
    plan = plan_for(tmp_path, "{gpus: 16, gpus_per_node: 8, sharding: hybrid}")
    row = next(r for r in json.loads(plan.to_json(tasks=False))["stages"] if r["stage"] == "pretrain")
    assert (row["world_size"], row["gpus_per_node"], row["sharding"]) == (16, 8, "hybrid")
    assert row["wall_hours"] == pytest.approx(row["gpu_hours"] / 16)
    tok = next(r for r in json.loads(plan.to_json(tasks=False))["stages"] if r["stage"] == "tok")
    assert (tok["world_size"], tok["sharding"]) == (1, None)


@pytest.mark.parametrize("resources, message", [
    ("{gpus: 16}", "stages.pretrain.resources.gpus: 16 GPUs per task is more than a node has"),
    ("{gpus: 16, gpus_per_node: 16}", "stages.pretrain.resources.gpus_per_node: 16 GPUs on one node"),
    ("{gpus: 8, gpus_per_node: 3}", "gpus_per_node=3 must divide gpus=8"),
    ("{gpus: 4, workers: 2}", "a GPU stage has one worker per GPU"),
    ("{gpus: 1, gpus_per_node: 1}", "gpus_per_node=1 needs gpus > 1"),
])
def test_infeasible_requests_are_compile_errors_naming_the_stage(tmp_path, resources, message):
    with pytest.raises(SpecErrors) as err:
        plan_for(tmp_path, resources)
    assert message in str(err.value)


def test_sixteen_gpus_over_two_nodes_compile(tmp_path):
    assert plan_for(tmp_path, "{gpus: 16, gpus_per_node: 8}").stages["pretrain"].workers == 16


def test_an_op_on_one_device_refuses_several(tmp_path):
    (tmp_path / "tiny.txt").write_text("a few words of text\n" * 50)
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(resources="{gpus: 1}").replace(
        "  tok: {op: train.tokenizer, data: corpus, vocab_size: 300}",
        "  tok: {op: train.tokenizer, data: corpus, vocab_size: 300, resources: {workers: 2}}"))
    with pytest.raises(SpecErrors, match=r"stages.tok.resources.workers: op train.tokenizer runs on one device"):
        compile_spec(path)
