"""Fixed splits at run time: the same records for every task seed and in every process;
groups stay whole; limited references read what they say and the manifest records it."""
import json
import os
import subprocess
import sys
from pathlib import Path

from specc.compiler import compile_spec
from specc.compiler.spec_model import JsonlSource
from specc.runtime.data import load_source
from specc.runtime.payload import PayloadBuilder

SHARED = Path(__file__).parents[3] / "shared" / "data"
PASSIVE = SHARED / "blimp" / "passive_1.jsonl"

SPEC = """\
specc: 1
name: splits
title: t
question: q
seed: 41
data:
  pairs: {{jsonl: {file}, split: {{train: 0.5, heldout: 0.5{extra}}}}}
models:
  gpt: {{hub: gpt2, revision: main, n_params: 124000000}}
conditions: {{seed: [1, 2, 3]}}
stages:
  score: {{op: eval.logprob_pairs, over: [seed], model: gpt, items: pairs.heldout, good: sentence_good,
          bad: sentence_bad}}
"""


def _heldout_per_task(tmp_path, extra=""):
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(file=PASSIVE, extra=extra))
    plan = compile_spec(spec, data_roots=(str(SHARED),))
    builder = PayloadBuilder(plan, str(tmp_path / "store"), cpu_only=True)
    out = {}
    for task in plan.tasks:
        entry = builder.build(task).data["pairs"]
        out[task.id] = load_source(entry.source, entry.files, "pairs.heldout", seed=entry.split_seed,
                                   cache_dir=str(tmp_path / "c"))["pairID"][:]
    return out


def test_heldout_items_are_identical_across_task_seeds(tmp_path):
    parts = _heldout_per_task(tmp_path)
    first = parts["score/seed=1"]
    assert len(first) == 500
    assert parts["score/seed=2"] == first and parts["score/seed=3"] == first


def test_per_seed_resplits_only_when_asked(tmp_path):
    parts = _heldout_per_task(tmp_path, ", per_seed: true")
    assert parts["score/seed=1"] != parts["score/seed=2"]


def test_split_is_identical_in_another_process(tmp_path):
    source = JsonlSource(jsonl="x", split={"train": 0.7, "heldout": 0.3})
    here = load_source(source, (PASSIVE,), "pairs.heldout", seed=41, cache_dir=str(tmp_path / "a"))["pairID"][:]
    code = ("import json, sys; from specc.compiler.spec_model import JsonlSource;"
            "from specc.runtime.data import load_source;"
            "s = JsonlSource(jsonl='x', split={'train': 0.7, 'heldout': 0.3});"
            f"print(json.dumps(load_source(s, (sys.argv[1],), 'pairs.heldout', seed=41, cache_dir=sys.argv[2])['pairID'][:]))")
    done = subprocess.run([sys.executable, "-c", code, str(PASSIVE), str(tmp_path / "b")],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": "123"})  # another hash order
    assert json.loads(done.stdout.strip().splitlines()[-1]) == here


def test_group_by_keeps_each_group_on_one_side(tmp_path):
    rows = [{"text": f"item {i} prompt {p}", "item": i} for i in range(40) for p in range(3)]
    file = tmp_path / "d.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    source = JsonlSource(jsonl="d.jsonl", split={"a": 0.5, "b": 0.5, "group_by": "item"})
    a = load_source(source, (file,), "d.a", seed=2, cache_dir=str(tmp_path / "c"))["item"][:]
    b = load_source(source, (file,), "d.b", seed=2, cache_dir=str(tmp_path / "c"))["item"][:]
    assert not set(a) & set(b) and len(a) + len(b) == 120 and len(a) % 3 == 0


def test_limited_reference_reads_a_reproducible_sample(tmp_path):
    source = JsonlSource(jsonl="x", split={"train": 0.5, "heldout": 0.5})
    part = load_source(source, (PASSIVE,), "p.heldout", seed=9, cache_dir=str(tmp_path))["pairID"][:]
    first = load_source(source, (PASSIVE,), "p.heldout[:20]", seed=9, cache_dir=str(tmp_path))["pairID"][:]
    sample = load_source(source, (PASSIVE,), "p.heldout[sample:20]", seed=9, cache_dir=str(tmp_path))["pairID"][:]
    again = load_source(source, (PASSIVE,), "p.heldout[sample:20]", seed=9, cache_dir=str(tmp_path))["pairID"][:]
    assert first == part[:20]
    assert sample == again and len(set(sample)) == 20 and set(sample) <= set(part) and sample != first
