"""eval.check: params (one rule per check, patterns that compile with one group, names that
can be columns) and its run on a known responses table."""
from __future__ import annotations

import pandas as pd
import pytest

from specc.ops import OPS

OP = OPS.get("eval.check")


class TableCtx:
    """The part of the task context eval.check reads: one input table."""

    def __init__(self, table):
        self._table, self.logs, self.facts = table, [], {}

    def table(self, name):
        return self._table

    def log(self, message):
        self.logs.append(message)

    def record(self, **facts):
        self.facts.update(facts)


RESPONSES = pd.DataFrame({
    "item": [0, 1, 2, 3], "sample": [0, 0, 0, 0], "label": [1, 0, 2, 1],
    "text": ["The answer is B.", "I think a cat. A", '{"answer": "C"}', "- no idea\n- really"]})


def checked(**params):
    p = OP.params(responses="gen", **params)
    ctx = TableCtx(RESPONSES)
    return OP.run(p, ctx), ctx


def test_each_check_is_a_column_and_passed_is_all_of_them():
    table, ctx = checked(checks={"short": {"max_words": 4}, "one": {"max_sentences": 1},
                                 "json": {"format": "json"}, "listed": {"format": "list"},
                                 "says_answer": {"contains": ["answer"]},
                                 "no_cat": {"forbids": ["CAT"], "case_sensitive": True}})
    assert list(table["words"]) == [4, 5, 2, 3]
    assert list(table["sentences"]) == [1, 2, 1, 1]     # a list without full stops is one
    assert list(table["short"]) == [True, False, True, True]
    assert list(table["one"]) == [True, False, True, True]
    assert list(table["json"]) == [False, False, True, False]
    assert list(table["listed"]) == [False, False, False, True]
    assert list(table["says_answer"]) == [True, False, True, False]
    assert list(table["no_cat"]) == [True, True, True, True]       # "cat" is not "CAT"
    assert list(table["passed"]) == [False, False, False, False]
    assert ctx.facts["pass_rate_short"] == 0.75
    assert list(table["text"]) == list(RESPONSES["text"])           # responses carried


def answers(table):
    return [a if isinstance(a, str) else None for a in table["answer"]]


def test_answer_extraction_gives_generated_format_accuracy():
    table, ctx = checked(answer={"pattern": r"\b([ABC])\b", "label": "label",
                                 "choices": ["A", "B", "C"]})
    assert answers(table) == ["B", "A", "C", None]
    assert list(table["answered"]) == [True, True, True, False]
    assert list(table["correct"]) == [True, True, True, False]
    assert ctx.facts["accuracy"] == 0.75 and ctx.facts["answered_rate"] == 0.75
    last, _ = checked(answer={"pattern": r"\b([ABC])\b", "label": "label", "choices": ["A", "B", "C"],
                              "occurrence": "last", "ignore_case": True})
    assert answers(last) == ["B", "A", "C", None]   # "a cat. A": the last is "A"
    first_ci, _ = checked(answer={"pattern": r"\b([ABC])\b", "label": "label",
                                  "choices": ["A", "B", "C"], "ignore_case": True})
    assert first_ci["answer"][1] == "a"                     # the article, when case is ignored


def test_column_clash_is_logged_not_carried():
    table, ctx = checked(checks={"short": {"max_words": 4}}, text="text")
    clash = RESPONSES.assign(words=0)
    p = OP.params(responses="gen", checks={"short": {"max_words": 4}})
    ctx = TableCtx(clash)
    out = OP.run(p, ctx)
    assert list(out["words"]) == [4, 5, 2, 3] and "not carried" in ctx.logs[0]


@pytest.mark.parametrize("params,match", [
    ({"checks": {"x": {"max_words": 3, "min_words": 1}}}, "exactly one rule"),
    ({"checks": {"x": {}}}, "exactly one rule"),
    ({"checks": {"x": {"max_words": 3, "case_sensitive": True}}}, "contains and forbids only"),
    ({"checks": {"bad name": {"max_words": 3}}}, "not a plain name"),
    ({"checks": {"correct": {"max_words": 3}}}, "op's own columns"),
    ({"answer": {"pattern": "([AB]", "label": "label"}}, "not a valid regular expression"),
    ({"answer": {"pattern": "(A)(B)", "label": "label"}}, "2 groups"),
    ({}, "nothing to check"),
    ({"checks": {"x": {"contains": []}}}, "at least 1"),
])
def test_bad_params(params, match):
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match=match):
        OP.params(responses="gen", **params)


def test_columns_follow_the_params():
    p = OP.params(responses="gen", checks={"a": {"max_words": 1}},
                  answer={"pattern": "x", "label": "label"})
    assert OP.columns(p) == ("words", "sentences", "a", "passed", "answer", "answered", "correct")
    assert OP.cost(p, None).flops == 0


def test_per_item_instructions_from_columns():
    table = RESPONSES.assign(limit=[3, 10, None, 2], keywords=[["answer", "B"], "cat", None, []])
    p = OP.params(responses="gen", checks={"limit": {"max_words": {"column": "limit"}},
                                           "says": {"contains": {"column": "keywords"}}})
    ctx = TableCtx(table)
    out = OP.run(p, ctx)
    assert list(out["limit"]) == [False, True, True, False]   # row 2 states no limit
    assert list(out["says"]) == [True, True, True, True]      # rows 2 and 3 state no keywords
    bad = OP.params(responses="gen", checks={"x": {"min_words": {"column": "nope"}}})
    with pytest.raises(KeyError, match=r"no columns \['nope'\]"):
        OP.run(bad, TableCtx(RESPONSES))
    words = table.assign(limit=["three"] * 4)
    with pytest.raises(ValueError, match="max_words: the column holds 'three', not a number"):
        OP.run(p, TableCtx(words))
