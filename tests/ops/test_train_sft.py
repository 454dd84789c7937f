from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import OPS

OP = OPS.get("train.sft")


def params(**kw):
    return OP.params(**{"model": "tiny", "data": "pairs", "lr": 2e-5, "epochs": 1, **kw})


def test_field_mapping_defaults_and_plain_text():
    p = params()
    assert (p.fields.prompt, p.fields.completion) == ("prompt", "completion")
    assert p.completion_only_loss is True
    assert params(fields={"prompt": None, "completion": "text"}).fields.prompt is None


def test_prompt_and_completion_must_differ():
    with pytest.raises(ValidationError) as err:
        params(fields={"prompt": "text", "completion": "text"})
    assert err.value.errors()[0]["loc"] == ("fields", "completion")


def test_rejects_preference_only_params():
    with pytest.raises(ValidationError, match="beta"):
        params(beta=0.1)
