"""A hub data set's size hints (`records`, `tokens_per_record`) let the plan price the
stages that read it before anything is downloaded; they are not part of the data's identity."""
from pathlib import Path

import pytest

from specc.compiler import SpecErrors, compile_spec

SPEC = """\
specc: 1
name: hints
title: Hints
question: What does reading a hub data set cost?
data:
  prompts: {{hf: google/IFEval, revision: main, split: train{hints}}}
models:
  lm: {{hub: EleutherAI/pythia-70m, revision: main, n_params: 70000000}}
stages:
  lens: {{op: probe.logit_lens, model: lm, data: prompts, text_field: prompt, resources: {{gpus: 1}}}}
"""


def compile_with(tmp_path: Path, hints: str):
    (tmp_path / ".git").mkdir(exist_ok=True)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(hints=hints))
    return compile_spec(spec)


def lens_cost(plan):
    task, = plan.tasks
    return plan.stages[task.stage].costs[task.cost_key]


def test_hints_price_the_readers_as_records_times_tokens(tmp_path):
    cost = lens_cost(compile_with(tmp_path, ", records: 541, tokens_per_record: 60"))
    assert cost.tokens == pytest.approx(541 * 60)
    assert cost.flops == pytest.approx(2 * 70_000_000 * 541 * 60)


def test_without_hints_the_cost_is_unknown_not_zero_by_accident(tmp_path):
    cost = lens_cost(compile_with(tmp_path, ""))
    assert cost.flops == 0 and "unknown" in cost.note.lower()


def test_hints_do_not_change_the_cache_key(tmp_path):
    plain, hinted = (compile_with(tmp_path, h).tasks[0].key
                     for h in ("", ", records: 541, tokens_per_record: 60"))
    assert plain == hinted


def test_one_hint_without_the_other_is_an_error(tmp_path):
    with pytest.raises(SpecErrors) as info:
        compile_with(tmp_path, ", records: 541")
    message, = [d.message for d in info.value.diagnostics]
    assert "records and tokens_per_record are cost hints given together" in message
