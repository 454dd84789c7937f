"""Both reports say how the data was read: fixed or per-seed splits, limits, leakage checks."""
import json

from specc.compiler import compile_spec
from specc.compiler.data_reads import data_reading
from specc.report.results import load_results, render_results

from tests.report.test_results_golden import GOLDEN

SPEC = """\
specc: 1
name: reading
title: t
question: q
seed: 4
data:
  fixed: {jsonl: d.jsonl, split: {train: 0.5, heldout: 0.5, group_by: g}}
  fresh: {jsonl: d.jsonl, split: {a: 0.5, b: 0.5, per_seed: true}}
leakage:
  - {between: [fixed.train, fixed.heldout], field: text}
models:
  gpt: {hub: gpt2, revision: main, n_params: 124000000}
conditions: {seed: [1, 2]}
stages:
  score: {op: eval.logprob_pairs, over: [seed], model: gpt, items: "fixed.heldout[sample:5]", good: text, bad: text2}
  other: {op: eval.logprob_pairs, over: [seed], model: gpt, items: "fresh.b[:3]", good: text, bad: text2}
"""


def _plan(tmp_path):
    rows = [{"text": f"t{i}", "text2": "x", "g": i // 2} for i in range(40)]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "s.yaml").write_text(SPEC)
    return compile_spec(tmp_path / "s.yaml")


def test_data_reading_names_seeds_groups_limits_and_leakage(tmp_path):
    reading = data_reading(_plan(tmp_path))
    fixed, fresh = reading["splits"]
    assert fixed["how"] == "fixed, seed 4 (the spec's seed)" and fixed["group_by"] == "g"
    assert fresh["how"] == "resplit for every task seed (per_seed)" and reading["per_seed"] == ["fresh"]
    assert [(x["stage"], x["reads"]) for x in reading["limits"]] == [
        ("score", "a seeded sample of 5 of fixed.heldout (seed 4)"), ("other", "the first 3 of fresh.b")]
    assert reading["leakage"] == [{"between": "fixed.train vs fixed.heldout", "fields": "text",
                                   "overlap": 0, "sizes": (20, 20)}]


def test_results_report_says_when_splits_are_resplit_per_seed(tmp_path):
    results = load_results(GOLDEN / "results_input.json")
    results["provenance"]["data"] = data_reading(_plan(tmp_path))
    text = render_results(results, tmp_path / "out").read_text(encoding="utf-8")
    assert "**Resplit per seed:** fresh" in text
    assert "score.items reads a seeded sample of 5 of fixed.heldout (seed 4)" in text


def test_each_provenance_fact_is_its_own_list_item(tmp_path):
    # the seeds line once ran into the next one ("spec seed 4- **Splits:** ...")
    results = load_results(GOLDEN / "results_input.json")
    results["provenance"]["data"] = data_reading(_plan(tmp_path))
    lines = render_results(results, tmp_path / "out").read_text(encoding="utf-8").splitlines()
    seeds = next(i for i, line in enumerate(lines) if line.startswith("- **Seeds:**"))
    assert "- **" not in lines[seeds][2:]
    assert lines[seeds + 1].startswith("- **Splits:**")
