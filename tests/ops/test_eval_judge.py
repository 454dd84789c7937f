"""eval.judge's params: a rubric with {response}, a scale with numeric values."""
from __future__ import annotations

import pytest

from specc.ops import OPS


JUDGE = OPS.get("eval.judge")


@pytest.mark.parametrize("kw,match", [
    ({"template": "Rate: {prompt}"}, "has no {response}"),
    ({"scale": ["good", "bad"]}, "not numbers: give `values`"),
    ({"scale": ["1", "2"], "values": [1.0]}, "values has 1 entries for 2 labels"),
    ({"scale": ["1"]}, "at least 2"),
    ({"system": "You judge."}, "needs a chat_template"),
])
def test_bad_judge_params(minimal, kw, match):
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match=match):
        JUDGE.params(**{**minimal["eval.judge"], **kw})


def test_judge_label_values(minimal):
    p = JUDGE.params(**{**minimal["eval.judge"], "scale": ["yes", "no"], "values": [1, 0]})
    assert p.label_values == [1.0, 0.0]
    assert JUDGE.params(**minimal["eval.judge"]).label_values == [1.0, 2.0, 3.0]
