"""Model-holding workers: many tasks reading one model load it once."""
from __future__ import annotations

from runtime_helpers import table

SPEC = """\
models:
  small:
    init: gpt2
    n_layer: 1
    n_head: 2
    n_embd: 16
    n_positions: 32
    vocab_size: 64
conditions:
  i: [{items}]
stages:
  stat:
    op: tiny.model_stat
    over: [i]
    model: small
"""


def test_fifty_tasks_on_one_model_load_it_once(ray_session, project):
    plan, result = project.run(SPEC.replace("{items}", ", ".join(str(i) for i in range(50))))
    assert result.ok and result.counts["succeeded"] == 50
    from specc.runtime.run import open_ledger
    loads = open_ledger(plan).model_loads(result.run_id)
    assert [row["model"] for row in loads] == ["spec:small|seed=0"]  # built with the spec's seed
    store = project.root / ".specc" / "store"
    pids = {int(table(plan, store, t.id)["pid"][0]) for t in plan.tasks}
    models = {int(table(plan, store, t.id)["model_id"][0]) for t in plan.tasks}
    assert len(pids) == 1 and len(models) == 1  # one worker, one model object served them all
    from specc.compiler.model_size import param_count
    n_params = int(table(plan, store, plan.tasks[0].id)["n_params"][0])
    assert n_params == param_count(plan.spec.models["small"])  # the model the spec declares


def test_two_models_on_two_workers_each_load_once_and_nothing_stalls(ray_session, project):
    body = SPEC.replace("{items}", "1, 2, 3").replace(
        "stages:", "  m: [small, other]\nstages:").replace("    over: [i]\n    model: small", "    over: [m, i]\n    model: ${m}")
    body = body.replace("models:\n", "models:\n  other:\n    init: gpt2\n    n_layer: 1\n    n_head: 2\n"
                                     "    n_embd: 8\n    n_positions: 32\n    vocab_size: 64\n", 1)
    plan, result = project.run(body)
    assert result.ok and result.counts["succeeded"] == 6
    from specc.runtime.run import open_ledger
    loads = sorted(row["model"] for row in open_ledger(plan).model_loads(result.run_id))
    assert loads == ["spec:other|seed=0", "spec:small|seed=0"]
