"""The opt-in leakage check finds exact-text overlap between two data parts."""
import json

import pytest

from specc.compiler import SpecErrors, compile_spec

SPEC = """\
specc: 1
name: leak
title: t
question: q
seed: 4
data:
  bank: {{jsonl: bank.jsonl, split: {{inject: 0.5, audit: 0.5{group}}}}}
leakage:
  - {{between: [bank.inject, bank.audit], field: context, on_overlap: {mode}}}
models:
  gpt: {{hub: gpt2, revision: main, n_params: 124000000}}
stages:
  score: {{op: eval.logprob_pairs, model: gpt, items: bank.audit, good: good, bad: bad}}
"""


def _write(tmp_path, mode="warn", group=""):
    # 50 contexts, each asked twice (two questions): an ungrouped split puts ~half of
    # the contexts on both sides; grouped by context, none.
    rows = [{"context": f"Context number {c}.", "good": f"q{q}", "bad": "x"} for c in range(50) for q in range(2)]
    (tmp_path / "bank.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(mode=mode, group=group))
    return spec


def test_planted_overlap_is_found_and_reported(tmp_path):
    plan = compile_spec(_write(tmp_path))
    (result,) = plan.leakage
    assert result.overlap > 10 and result.sizes == (50, 50)
    assert result.example.startswith("Context number")
    (warning,) = plan.warnings
    assert f"{result.overlap} distinct texts of bank.inject (context) also occur in bank.audit" in warning.message


def test_overlap_is_an_error_by_default(tmp_path):
    with pytest.raises(SpecErrors) as info:
        compile_spec(_write(tmp_path, mode="error"))
    (d,) = info.value.diagnostics
    assert (d.line, d.col) == (9, 5) and "leakage[0]" in d.message


def test_group_by_removes_the_overlap(tmp_path):
    plan = compile_spec(_write(tmp_path, mode="error", group=", group_by: context"))
    assert plan.leakage[0].overlap == 0
