from __future__ import annotations

from specc.ops import OPS

OP = OPS.get("train.sft")


def test_field_mapping_defaults_and_plain_text(params):
    p = params()
    assert (p.fields.prompt, p.fields.completion) == ("prompt", "completion")
    assert p.completion_only_loss is True
    assert params(fields={"prompt": None, "completion": "text"}).fields.prompt is None


def test_prompt_and_completion_must_differ(invalid):
    err = invalid({"fields": {"prompt": "text", "completion": "text"}})
    assert err.errors()[0]["loc"] == ("fields", "completion")


def test_rejects_preference_only_params(invalid):
    invalid({"beta": 0.1}, match="beta")
