"""Arithmetic on columns inside a call, abs/log/exp, `first`/`last`: trees, canonical text
and the misuses the parser refuses, with their offsets."""
import pytest

from specc.compiler.measure import MeasureError, column_uses, parse_measure
from specc.compiler.measure_ast import Apply, Arg, BinOp, Call, Column, Literal, Name


def test_a_difference_of_columns_is_one_argument():
    call = parse_measure("mean(score.logp_good - score.logp_bad)").expr
    assert call == Call(Name("mean"), (Arg(Column("score", "logp_good"), expr=BinOp(
        "-", Column("score", "logp_good"), Column("score", "logp_bad"))),))
    assert [(u.column, u.role) for u in column_uses(parse_measure("mean(score.a - score.b)"))] == [
        ("a", "value"), ("b", "value")]


def test_elementwise_functions_inside_and_outside_calls():
    inner = parse_measure("mean(log(s.ppl))").expr.args[0].expr
    assert inner == Apply(Name("log"), Column("s", "ppl"))
    outer = parse_measure("abs(mean(a.x) - mean(b.x))").expr
    assert isinstance(outer, Apply) and outer.func.text == "abs"


@pytest.mark.parametrize("text", [
    "mean(score.logp_good - score.logp_bad)",
    "mean(models.gpt2 - models.ngram) where UID != \"overall\"",
    "median(abs(s.a - s.b) by item)",
    "exp(mean(log(s.ppl)))",
    "mean((s.a - s.b) / 2 where x == 1)",
    "range(s.acc by cond) / median(s.sd by cond)",
    "argmax(s.acc by checkpoint)",
    "first_reaching(s.acc by tokens, level=0.6)",
    "mean(s.acc) where checkpoint == last",
    "mean(s.acc where checkpoint != first)",
])
def test_canonical_text_parses_back(text):
    m = parse_measure(text)
    assert str(m) == text
    assert parse_measure(str(m)) == m


def test_last_is_a_position_not_a_string():
    cond = parse_measure("mean(s.x) where checkpoint == last").expr.where.conds[0]
    assert cond.value == Literal("last", position=True) and cond.value != Literal("last")


@pytest.mark.parametrize("text, offset, message", [
    ("mean(score.diff - humans.total)", 18, "arithmetic inside mean(...) combines the columns of one "
     "table row by row, but 'score' and 'humans' are different tables (no join)"),
    ("mean(2 * 3)", 5, "unexpected '2'; expected a column like stage.column"),
    ("mean(log(mean(s.x)))", 9, "mean's arguments are columns, not a call to 'mean'; expected a "
     "column like stage.column"),
    ("argmax(s.x)", 0, "argmax reads a curve over an ordered axis: it needs 'by' and one key, or a series (... per key)"),
    ("first_reaching(s.x by a, b, level=0.5)", 0, "first_reaching reads a curve over an ordered axis: "
     "it needs 'by' and one key, or a series (... per key)"),
    ("mean(s.x) where m == latest", 21, "expected a value (a number, a \"string\", true, false, first "
     "or last), got 'latest'"),
])
def test_misuses(text, offset, message):
    with pytest.raises(MeasureError) as info:
        parse_measure(text)
    assert (info.value.offset, info.value.message) == (offset, message)
