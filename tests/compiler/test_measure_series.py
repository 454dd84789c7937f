"""`<call> per key` inside a summary's argument: the tree, the canonical text, the columns
it reads, and each misuse at its exact offset."""
import pytest

from specc.compiler.measure import MeasureError, column_uses, format_measure, parse_measure
from specc.compiler.measure_ast import Arg, BinOp, Call, Column, Filtered, Kwarg, Name, Number, Per, \
    series_args

CORR = "pearson(score.pref by item, humans.pref by item)"


def _corr() -> Call:
    return Call(Name("pearson"), (Arg(Column("score", "pref"), (Name("item"),)),
                                  Arg(Column("humans", "pref"), (Name("item"),))))


def test_a_series_is_the_one_argument_of_a_summary():
    m = parse_measure(f"first_reaching({CORR} per tokens, level=0.5)")
    assert m.expr == Call(Name("first_reaching"), (Per(_corr(), Name("tokens")),),
                          (Kwarg(Name("level"), Number(0.5)),))
    per = m.expr.args[0]
    assert (per.offset, per.end) == (15, 15 + len(CORR) + len(" per tokens"))
    assert per.key.offset == 15 + len(CORR) + len(" per ")


def test_nested_summaries_and_a_where_inside_the_series():
    m = parse_measure("range(mean(post.alignment by seed) per condition) / "
                      "median(std(post.alignment by seed) where layer == 2 per condition)")
    assert isinstance(m.expr, BinOp)
    left, right = m.expr.left.args[0], m.expr.right.args[0]
    assert left.key.text == right.key.text == "condition"
    assert isinstance(right.expr, Filtered) and right.expr.expr.func.text == "std"
    assert [p.key.text for p in series_args(m)] == ["condition", "condition"]


@pytest.mark.parametrize("text", [
    f"argmax({CORR} per checkpoint)",
    f"max({CORR} where score.layer > 2 per checkpoint) where score.prompt == 0",
    "max(mean(a.x) - mean(a.y) per checkpoint)",
    "max(argmax(mean(a.x) per seed) per condition)",
    "max(abs(mean(a.x) - mean(a.y)) per checkpoint)",
    "min(-mean(a.x) per checkpoint)",
    "max((mean(a.x) - mean(a.y)) * 2 per checkpoint)",
    "range(mean(post.alignment by seed) per condition) / median(std(post.alignment by seed) per condition)",
])
def test_canonical_text_round_trips(text):
    m = parse_measure(text)
    assert format_measure(m) == text
    assert parse_measure(format_measure(m)) == m


def test_the_per_key_is_read_from_every_table_inside_the_series():
    uses = [(u.source, u.column, u.role) for u in column_uses(parse_measure(f"max({CORR} per tokens)"))]
    assert uses == [("score", "pref", "value"), ("score", "item", "by"), ("humans", "pref", "value"),
                    ("humans", "item", "by"), ("score", "tokens", "per"), ("humans", "tokens", "per")]


@pytest.mark.parametrize("text, offset, message", [
    (f"{CORR} per checkpoint", len(CORR) + 1,
     "'per' makes a series (one value per value of a column), and only a summary function's "
     "argument can be a series"),
    ("(mean(a.x) per checkpoint)", 11,
     "'per' makes a series (one value per value of a column), and only a summary function's "
     "argument can be a series"),
    ("mean(a.x per checkpoint)", 9,
     "'per' follows a function call (a series of its values); a column is grouped with 'by'"),
    ("max(mean(a.x))", 4, "a call inside max(...) is a series only with 'per <column>' after it"),
    ("max(mean(a.x) per)", 14, "'per' needs one key column"),
    ("max(mean(a.x) per a.c)", 18, "a 'per' key is a column of the tables the series reads"),
    ("max(mean(a.x) per c, d)", 21, "'per' takes one key column"),
    ("max(mean(a.x) per c by d)", 20, "'by' after a series' 'per' key"),
    ("count(mean(a.x) per c)", 6, "count's arguments are columns, not a call to 'mean'; "
     "expected a column like stage.column"),
    ("argmax(a.x)", 0, "argmax reads a curve over an ordered axis: it needs 'by' and one key, "
     "or a series (... per key)"),
])
def test_misuses(text, offset, message):
    with pytest.raises(MeasureError) as info:
        parse_measure(text)
    assert (info.value.offset, info.value.message) == (offset, message)


def test_per_is_a_keyword():
    with pytest.raises(MeasureError) as info:
        parse_measure("mean(a.per)")
    assert info.value.message == "expected a column name, got the keyword 'per'"


@pytest.mark.parametrize("text", ["max(abs(a.x - a.y))", "max((a.x - a.y) by c)", "mean(-a.x * 2)"])
def test_row_arithmetic_in_a_summary_is_still_row_arithmetic(text):
    (arg,) = parse_measure(text).expr.args
    assert isinstance(arg, Arg)
