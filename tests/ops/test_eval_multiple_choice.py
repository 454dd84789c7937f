from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.ops import OPS

OP = OPS.get("eval.multiple_choice")
BBQ = Path(__file__).parents[3] / "shared/data/bbq/Religion.jsonl"


def test_defaults_are_bbq_with_letters(params):
    p = params()
    assert p.fields.options == ["ans0", "ans1", "ans2"] and p.fields.label == "label"
    assert p.scoring == "letters" and "{options}" in p.prompt_template
    assert "{options}" not in params(scoring="options").prompt_template


def test_columns_one_logp_per_option(params):
    assert OP.columns(params()) == ("item", "chosen", "correct", "p_correct",
                                    "logp_0", "logp_1", "logp_2")
    two = params(fields={"context": None, "options": ["a", "b"]})
    assert OP.columns(two)[-2:] == ("logp_0", "logp_1") and len(OP.columns(two)) == 6
    assert OP.carries == "items"


@pytest.mark.parametrize("kw,match", [
    ({"template": "{question} {answer}"}, "unknown placeholders"),
    ({"template": "{question"}, "not a valid format string"),
    ({"template": "{context}\n{question}\nAnswer:"}, "needs {options}"),
    ({"fields": {"options": ["ans0"]}}, "at least 2"),
    ({"fields": {"options": ["ans0", "ans0"]}}, "duplicate"),
    ({"fields": {"label": "question"}}, "equals `question`"),
    ({"scoring": "generate"}, "scoring"),
])
def test_rejects(invalid, kw, match):
    invalid(kw, match=match)


def test_options_scoring_accepts_a_template_without_options(params):
    assert params(scoring="options", template="Q: {question}\nA:").template == "Q: {question}\nA:"


def test_cost_letters_one_sequence_options_one_per_option(params, ctx):
    letters, options = OP.cost(params(), ctx), OP.cost(params(scoring="options"), ctx)
    assert letters.flops > 0
    assert options.tokens == pytest.approx(3 * letters.tokens, rel=0.05)


@pytest.mark.skipif(not BBQ.exists(), reason="shared data not present")
def test_default_fields_exist_in_bbq(params):
    record = json.loads(BBQ.read_text().splitlines()[0])
    f = params().fields
    assert {f.context, f.question, f.label, *f.options} <= set(record)
