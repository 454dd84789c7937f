"""Profile wildcards are the long hand written once: byte-identical plans."""
from pathlib import Path

import pytest

from specc.compiler import SpecErrors, compile_spec

ROOT = Path(__file__).parents[2]
SPEC = """\
specc: 1
name: wild
title: t
question: q
data:
  corpus: {{text: data/tiny.txt, split: {{train: 0.5, heldout: 0.5}}}}
models:
  tiny: {{init: gpt2, n_layer: 1, n_embd: 16, n_head: 2, n_positions: 64}}
conditions: {{seed: [1, 2]}}
stages:
  tok: {{op: train.tokenizer, data: corpus.train, vocab_size: 300}}
  pre_a: {{op: train.pretrain, over: [seed], model: tiny, tokenizer: tok, data: corpus.train, steps: 100,
          precision: bf16, resources: {{gpus: 1}}}}
  pre_b: {{op: train.pretrain, over: [seed], model: tiny, tokenizer: tok, data: corpus.train, steps: 200,
          precision: bf16, resources: {{gpus: 1}}}}
  ppl: {{op: eval.perplexity, over: [seed], family: {{model: [pre_a, pre_b]}}, data: corpus.heldout,
        resources: {{gpus: 0.5}}}}
profiles:
  smoke:
{profile}
"""
LONG = """\
    stages.tok.resources: {gpus: 0}
    stages.pre_a.resources: {gpus: 0}
    stages.pre_b.resources: {gpus: 0}
    stages.ppl.resources: {gpus: 0}
    stages.pre_a.precision: fp32
    stages.pre_b.precision: fp32
    stages.ppl.precision: fp32
    stages.pre_a.steps: 5
    stages.pre_b.steps: 5
    stages.pre_b.lr: 0.01"""
WILD = """\
    stages.*.resources: {gpus: 0}
    stages.*.precision: fp32
    stages.pre_?.steps: 5
    stages.pre_b.lr: 0.01"""


def _plan(tmp_path: Path, profile: str) -> str:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "tiny.txt").write_text("to be or not to be\nthat is the question\n" * 20)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(profile=profile))
    return compile_spec(spec, profile="smoke").to_json()


def test_wildcard_profile_gives_the_long_hand_plan_byte_for_byte(tmp_path):
    wild, long = _plan(tmp_path, WILD), _plan(tmp_path, LONG)
    assert wild == long
    assert wild != compile_spec(tmp_path / "spec.yaml").to_json()  # the profile did change it


def test_wildcard_sets_a_param_only_where_the_op_takes_it(tmp_path):
    plan = compile_spec(_spec(tmp_path, "    stages.*.steps: 7"), profile="smoke")
    steps = {s: p.get("steps") for s, st in plan.stages.items() for p in st.params.values()}
    assert steps == {"tok": None, "pre_a": 7, "pre_b": 7, "ppl": None}


def test_explicit_entry_after_a_wildcard_refines_it(tmp_path):
    plan = compile_spec(_spec(tmp_path, "    stages.*.steps: 7\n    stages.pre_b.steps: 9"), profile="smoke")
    assert {p["steps"] for p in plan.stages["pre_b"].params.values()} == {9}


def test_wildcard_matching_nothing_is_an_error_at_its_line(tmp_path):
    with pytest.raises(SpecErrors) as info:
        compile_spec(_spec(tmp_path, "    stages.eval*.resources: {gpus: 0}"), profile="smoke")
    (d,) = info.value.diagnostics
    assert (d.line, d.col) == (20, 5) and "matches nothing" in d.message


def _spec(tmp_path: Path, profile: str) -> Path:
    _plan(tmp_path, LONG)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(profile=profile))
    return spec
