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


@pytest.mark.parametrize("text,core,lead", [
    ("Score:", "Score:", " "),
    ("Score: ", "Score:", " "),
    ("<|im_start|>assistant\n", "<|im_start|>assistant\n", ""),
    ("Rate it.\n\n", "Rate it.\n\n", ""),
])
def test_what_leads_a_label(text, core, lead):
    from specc.ops.eval.judge import label_lead
    assert label_lead(text) == (core, lead)


def test_score_table_by_hand():
    import numpy as np

    from specc.ops.eval.judge import score_table
    logp = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]))
    table = score_table(logp - 3.0, ["1", "2", "3"], [1.0, 2.0, 3.0])   # unnormalised: same
    assert np.allclose(table["score"], [0.1 + 0.4 + 2.1, 0.5 + 0.5 + 0.75])
    assert list(table["score_argmax"]) == [3.0, 1.0] and list(table["score_label"]) == ["3", "1"]
    assert np.allclose(table[["p_0", "p_1", "p_2"]].to_numpy(), np.exp(logp))


def test_a_rubric_too_long_for_the_judge_names_the_response_row():
    import pandas as pd

    from specc.ops.eval._scorer import Request
    from specc.ops.eval.judge import check_fits
    rows = pd.DataFrame({"item": [7, 8], "sample": [0, 1]})
    requests = [Request((0,), (1,) * 3, (2,)), Request((0,), (1,) * 3, (3,)),
                Request((0,), (1,) * 9, (2,)), Request((0,), (1,) * 9, (3,))]
    check_fits(requests[:2], 2, 5, rows, "j")
    with pytest.raises(ValueError, match=r"response row 1 \(item 8, sample 1\): the rendered rubric "
                                         r"and label are 11 tokens; judge 'j' takes at most 10"):
        check_fits(requests, 2, 10, rows, "j")
