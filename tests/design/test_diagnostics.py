"""Design diagnostics from a compiled plan: units per hypothesis, warnings at `specc
validate` (with file:line:col), errors under decision.min_power, the plan's table."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from specc.cli import app
from specc.compiler import compile_spec
from specc.design import design_diagnostics

ROOT = Path(__file__).parents[2]
runner = CliRunner()

# Five conditions, one point each: the follow-up study's "|r| >= 0.5 across 5 points".
FIVE_POINTS = """\
specc: 1
name: five-points
title: Five points
question: Do x and y go together across the five conditions?
data:
  points: {{csv: points.csv}}
conditions:
  seed: [{seeds}]
stages:
  values: {{op: tiny.value, over: [seed], value: "${{seed}}"}}
hypotheses:
  H1:
    statement: x and y correlate across conditions.
    measure: pearson(points.x by key, points.y by key)
    expect: ">= 0.5"
    interval: {{method: fisher_z, unit: key}}
{assume}
  H2:
    statement: The values are large.
    measure: mean(values.value)
    expect: "> 2"
    interval: {{method: bca, unit: seed}}
decision: {{alpha: 0.05, correction: holm{min_power}}}
"""


def write(tmp_path: Path, seeds: int = 5, assume: str = "", min_power: str = "") -> Path:
    (tmp_path / ".git").mkdir(exist_ok=True)
    rows = "\n".join(f"k{i},{i},{(i * 7) % 5}" for i in range(5))
    (tmp_path / "points.csv").write_text("key,x,y\n" + rows + "\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(FIVE_POINTS.format(seeds=", ".join(str(s) for s in range(1, seeds + 1)),
                                       assume=assume, min_power=min_power))
    return spec


def validate(spec: Path):
    return runner.invoke(app, ["validate", str(spec)])


def test_units_come_from_the_data_and_the_design(tmp_path):
    designs = design_diagnostics(compile_spec(write(tmp_path, seeds=7)))
    assert designs["H1"].units == 5 and "5 values of key in points" in designs["H1"].units_what
    assert designs["H2"].units == 7 and designs["H2"].units_what == "7 values of seed in values"
    assert designs["H1"].alpha == pytest.approx(0.025)              # Holm over two, its worst case


def test_flagship_units():
    plan = compile_spec(ROOT / "tests" / "specs" / "blimp-toy.yaml")
    designs = design_diagnostics(plan)
    assert plan.data["pairs"].stats.records == 12000                  # 12 paradigms x 1,000 pairs
    assert designs["H1"].units == 12000 and designs["H1"].model == "proportion"
    assert designs["H2"].units == 12 and designs["H2"].model == "correlation"   # joined on the 12 paradigms


def test_five_point_correlation_at_half_is_flagged_as_underpowered(tmp_path):
    spec = write(tmp_path, assume="    assume: {value: 0.7}")
    result = validate(spec)
    assert result.exit_code == 0, result.output                      # warnings, not errors
    lines = [line for line in result.output.splitlines() if "H1:" in line and "warning" in line]
    assert any(f"{spec}:15:13: warning: hypotheses.H1: underpowered: with 5 units only a true pearson of 0.9"
               in line for line in lines), result.output
    assert any("power 0.07 at the assumed value" in line for line in lines), result.output


def test_a_bootstrap_over_too_few_units_can_never_be_supported(tmp_path):
    result = validate(write(tmp_path, seeds=5))
    assert "hypotheses.H2: 5 units of seed: a bootstrap interval needs at least 8" in result.output


def test_min_power_turns_warnings_into_errors(tmp_path):
    spec = write(tmp_path, seeds=10, assume="    assume: {value: 0.7}", min_power=", min_power: 0.8")
    result = validate(spec)
    assert result.exit_code == 2
    assert f"{spec}:15:13: hypotheses.H1: underpowered" in result.output
    assert "hypotheses.H1: power 0." in result.output and "below decision.min_power 0.8" in result.output
    assert "hypotheses.H2: decision.min_power is 0.8 but the power is unknown" in result.output
    run = runner.invoke(app, ["run", str(spec)])
    assert run.exit_code == 2                                          # refused before anything runs


def test_mde_falls_as_seeds_are_added(tmp_path):
    mdes = []
    for seeds in (8, 16, 32):
        folder = tmp_path / str(seeds)
        folder.mkdir()
        mdes.append(design_diagnostics(compile_spec(write(folder, seeds=seeds)))["H2"].mde)
    assert mdes[0] > mdes[1] > mdes[2]


def test_threshold_outside_the_measures_range_is_flagged(tmp_path):
    spec = write(tmp_path)
    spec.write_text(spec.read_text().replace('expect: ">= 0.5"', 'expect: "> 1"'))
    result = validate(spec)
    assert "threshold 1 is outside what pearson can exceed (-1 to 1)" in result.output


def test_plan_shows_the_design_table(tmp_path):
    result = runner.invoke(app, ["plan", str(write(tmp_path, seeds=10, assume="    assume: {value: 0.7}"))],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "design diagnostics" in result.output
    row = next(line for line in result.output.splitlines() if "value 0.7" in line)
    assert row.split()[:4] == ["│", "H1", "│", "5"] and "0.025" in row and "0.07" in row


LIMITED = """\
specc: 1
name: limited
title: Limited
question: How many items does a limited part give?
data:
  pairs: {{jsonl: pairs.jsonl, split: {{train: 0.5, test: 0.5}}}}
models:
  lm: {{hub: EleutherAI/pythia-70m, revision: main, n_params: 70000000}}
stages:
  score: {{op: eval.logprob_pairs, model: lm, items: "{items}", good: good, bad: bad}}
hypotheses:
  H1:
    statement: The good sentence is preferred.
    measure: mean(score.correct)
    expect: "> 0.5"
    interval: {{method: bca, unit: item}}
"""


@pytest.mark.parametrize("items, units", [("pairs", 200), ("pairs.test", 100), ("pairs.test[:40]", 40),
                                          ("pairs.test[sample:30]", 30), ("pairs[sample:30]", 30)])
def test_units_of_a_part_and_of_a_limit(tmp_path, items, units):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pairs.jsonl").write_text("".join(f'{{"good": "a {i}", "bad": "b {i}"}}\n' for i in range(200)))
    spec = tmp_path / "spec.yaml"
    spec.write_text(LIMITED.format(items=items))
    design = design_diagnostics(compile_spec(spec))["H1"]
    assert design.units == units and design.units_what.startswith(f"{units} items of {items}")


CURVE = """\
specc: 1
name: curve
title: Curve
question: Which seed's values peak?
data:
  items: {csv: items.csv}
conditions:
  seed: [1, 2, 3, 4]
stages:
  values: {op: tiny.value, over: [seed], value: "${seed}"}
hypotheses:
  H1:
    statement: The largest mean is at seed 4.
    measure: argmax(items.x by group)
    expect: "between 3.5 and 4.5"
    interval: {method: percentile, unit: item}
"""


def test_a_curve_over_an_axis_is_resampled_over_the_hypothesis_unit_not_the_axis(tmp_path):
    # argmax(x by group) with unit item resamples the 40 items and recomputes the curve:
    # 40 units, not the 4 groups (which would flag the hypothesis as undecidable).
    (tmp_path / ".git").mkdir()
    rows = "\n".join(f"{i},{i % 4 + 1},{i % 7}" for i in range(40))
    (tmp_path / "items.csv").write_text("item,group,x\n" + rows + "\n")
    (tmp_path / "spec.yaml").write_text(CURVE)
    design = design_diagnostics(compile_spec(tmp_path / "spec.yaml"))["H1"]
    assert design.units == 40 and not design.warnings, (design.units_what, design.warnings)


def test_an_axis_named_condition_counts_its_values_not_the_combinations(tmp_path):
    """`condition` is also the name of a stage's combination of axes; a spec whose design has
    an axis called `condition` (the follow-up study's 5 conditions x 10 seeds) resamples that
    axis's 5 values, not the 10 combinations."""
    (tmp_path / ".git").mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text("""\
specc: 1
name: axis-condition
title: An axis named condition
question: Are the values large?
conditions:
  condition: [a, b, c, d, e]
  seed: [1, 2]
stages:
  values: {op: tiny.value, over: [condition, seed], value: "${seed}"}
hypotheses:
  H1:
    statement: The values are large.
    measure: mean(values.value)
    expect: "> 1"
    interval: {method: bca, unit: condition}
""")
    designs = design_diagnostics(compile_spec(spec))
    assert designs["H1"].units == 5 and designs["H1"].units_what == "5 values of condition in values"


CORPORA = """\
specc: 1
name: corpora
title: Corpora
question: Does the surface tell the corpora apart, and are the phrases frequent?
data:
  a: {text: a.txt}
  b: {text: b.txt}
  c: {text: c.txt}
  phrases: {jsonl: phrases.jsonl}
stages:
  classifier: {op: analyse.corpus_stats, statistic: classifier, corpus: a, other: [b, "c[:10]"], folds: 2}
  counts: {op: analyse.corpus_stats, corpus: a, items: phrases, phrase: word}
hypotheses:
  H1:
    statement: The classifier tells the three corpora apart.
    measure: mean(classifier.correct)
    expect: ">= 0.8"
    interval: {method: none}
    test: {method: binomial}
  H2:
    statement: The phrases are frequent.
    measure: mean(counts.per_million)
    expect: "> 10"
    interval: {method: bca, unit: item}
"""


def test_a_k_way_classifier_is_tested_over_every_held_out_record_of_its_sources(tmp_path):
    """hypothesis-followup H1b: one row per record of `corpus` and of each `other` (each held
    out once), so the binomial test runs over all of them, not over the first source's."""
    (tmp_path / ".git").mkdir()
    for name, n in (("a", 30), ("b", 20), ("c", 25)):
        (tmp_path / f"{name}.txt").write_text("".join(f"{name} line {i}\n" for i in range(n)))
    (tmp_path / "phrases.jsonl").write_text("".join(f'{{"word": "w{i}"}}\n' for i in range(12)))
    (tmp_path / "spec.yaml").write_text(CORPORA)
    designs = design_diagnostics(compile_spec(tmp_path / "spec.yaml"))
    assert designs["H1"].units == 30 + 20 + 10   # c is read up to its limit
    assert designs["H1"].units_what == "60 items of a + b + c[:10], scored by classifier"
    # a frequency table has one row per item counted, not per record of the corpus counted in
    assert designs["H2"].units == 12 and designs["H2"].units_what.startswith("12 items of phrases")
