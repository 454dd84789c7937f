"""Cost estimates: 6ND for training, per-task model sizes, GPU-hours at the declared device."""
from pathlib import Path

import pytest

from specc.compiler import compile_spec
from specc.compiler.model_size import param_count

TOY = Path(__file__).parents[2] / "tests" / "specs" / "blimp-toy.yaml"


@pytest.fixture(scope="module")
def plan():
    return compile_spec(TOY)


def task_flops(plan, task_id):
    task = next(t for t in plan.tasks if t.id == task_id)
    return plan.stages[task.stage].costs[task.cost_key].flops


def test_pretrain_is_6nd(plan):
    tiny = plan.spec.models["tiny"]
    params = plan.spec.stages["pretrain"].params
    n = param_count(tiny, plan.spec.stages["tokenizer"].params["vocab_size"])
    d = params["steps"] * params["batch_size"] * params["block_size"]
    assert task_flops(plan, "pretrain/model=tiny/seed=1") == pytest.approx(6 * n * d)


def test_evaluation_is_costed_with_the_model_it_reads(plan):
    tiny = task_flops(plan, "score/model=tiny/seed=1/checkpoint=100")
    small = task_flops(plan, "score/model=small/seed=1/checkpoint=100")
    ratio = param_count(plan.spec.models["small"], 2048) / param_count(plan.spec.models["tiny"], 2048)
    assert small / tiny == pytest.approx(ratio)


def test_gpu_hours_follow_the_declared_device(plan):
    b = plan.spec.budget
    flops = sum(task_flops(plan, t.id) for t in plan.tasks if t.stage != "tokenizer")
    assert plan.total_gpu_hours == pytest.approx(flops / (b.device_tflops * 1e12 * b.utilization) / 3600)


def test_cpu_tasks_spend_no_gpu_hours():
    assert compile_spec(TOY, profile="smoke").total_gpu_hours == 0
