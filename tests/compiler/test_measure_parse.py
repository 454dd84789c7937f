"""Every documented `measure:` form parses to the tree an evaluator expects.

Offsets take no part in node equality, so expected trees are written without them;
the offset tests below check them where the compiler relies on them.
"""
import pytest

from specc.compiler.measure import parse_measure
from specc.compiler.measure_ast import (Arg, BinOp, Call, Column, Cond, Filtered, Kwarg, Literal,
                                        LiteralList, Measure, Name, Number, Unary, Where, calls,
                                        walk)


def call(func, *args, **kwargs):
    kw = tuple(Kwarg(Name(k), Name(v) if isinstance(v, str) else Number(v))
               for k, v in kwargs.items())
    return Call(Name(func), tuple(args), kw)


def arg(ref, by=(), where=None):
    source, column = ref.split(".")
    return Arg(Column(source, column), tuple(Name(k) for k in by), where)


def where(*conds):
    return Where(tuple(conds))


def cond(column, op, value, source=None):
    if isinstance(value, list):
        value = LiteralList(tuple(Literal(v) for v in value))
    else:
        value = Literal(value)
    return Cond(Name(column), op, value, Name(source) if source else None)


EXAMPLES = {
    "mean(score.correct) where checkpoint == 300":
        Filtered(call("mean", arg("score.correct")), where(cond("checkpoint", "==", 300))),
    'mean(score.correct where checkpoint == 300 and prompt != "")':
        call("mean", arg("score.correct", where=where(cond("checkpoint", "==", 300),
                                                      cond("prompt", "!=", "")))),
    "spearman(score.correct by UID, humans.total_mean by Condition)":
        call("spearman", arg("score.correct", by=["UID"]),
             arg("humans.total_mean", by=["Condition"])),
    "mean(mc.correct by model, seed)":
        call("mean", arg("mc.correct", by=["model", "seed"])),
    "mean(a.x) - mean(b.x)":
        BinOp("-", call("mean", arg("a.x")), call("mean", arg("b.x"))),
    "(mean(a.x) - mean(b.x)) / std(a.x)":
        BinOp("/", BinOp("-", call("mean", arg("a.x")), call("mean", arg("b.x"))),
              call("std", arg("a.x"))),
    "-mean(a.x)": Unary("-", call("mean", arg("a.x"))),
    "0.5": Number(0.5),
    "1e-3": Number(0.001),
    'cohens_d(score.diff where model == "tiny", score.diff where model == "small")':
        call("cohens_d", arg("score.diff", where=where(cond("model", "==", "tiny"))),
             arg("score.diff", where=where(cond("model", "==", "small")))),
    "variance_ratio(score.correct, between=condition, within=seed)":
        call("variance_ratio", arg("score.correct"), between="condition", within="seed"),
    "accuracy_vs_chance(mc.correct, chance=0.333)":
        call("accuracy_vs_chance", arg("mc.correct"), chance=0.333),
    'permutation_p(score.diff where group == "attested", score.diff where group == "novel")':
        call("permutation_p", arg("score.diff", where=where(cond("group", "==", "attested"))),
             arg("score.diff", where=where(cond("group", "==", "novel")))),
}


@pytest.mark.parametrize("text", list(EXAMPLES))
def test_documented_examples(text):
    assert parse_measure(text) == Measure(EXAMPLES[text])


def test_measure_keeps_its_text():
    assert parse_measure(" mean(a.x) ").text == " mean(a.x) "


@pytest.mark.parametrize("text, op, value", [
    ("a == 1", "==", 1), ("a != 1", "!=", 1), ("a < 1", "<", 1), ("a <= 1", "<=", 1),
    ("a > 1", ">", 1), ("a >= -1.5", ">=", -1.5), ('a == "x"', "==", "x"),
    ("a == 'it\\'s'", "==", "it's"), ("a == true", "==", True), ("a != false", "!=", False),
    ("a in [1, 2, 3]", "in", [1, 2, 3]), ('a not in ["x", "y"]', "not in", ["x", "y"]),
])
def test_where_comparisons(text, op, value):
    got = parse_measure(f"mean(s.v where {text})")
    assert got.expr.args[0].where.conds == (cond("a", op, value),)


def test_literal_kinds_are_distinct():
    # Python says True == 1; a where condition must not.
    one = parse_measure("mean(s.v where a == 1)").expr.args[0].where.conds[0].value
    true = parse_measure("mean(s.v where a == true)").expr.args[0].where.conds[0].value
    assert (one.kind, true.kind) == ("number", "bool")
    assert one != true
    assert isinstance(one.value, int) and isinstance(true.value, bool)


def test_numbers_keep_int_or_float():
    assert isinstance(parse_measure("300").expr.value, int)
    assert isinstance(parse_measure("3e2").expr.value, float)
    assert parse_measure("2.").expr == Number(2.0)
    assert parse_measure("1E+2").expr == Number(100.0)


def test_precedence_and_associativity():
    a, b, c = (call("mean", arg(f"{s}.x")) for s in "abc")
    assert parse_measure("mean(a.x) - mean(b.x) - mean(c.x)").expr == BinOp("-", BinOp("-", a, b), c)
    assert parse_measure("mean(a.x) + mean(b.x) * mean(c.x)").expr == BinOp("+", a, BinOp("*", b, c))
    assert parse_measure("-mean(a.x) * 2").expr == BinOp("*", Unary("-", a), Number(2))
    assert parse_measure("--mean(a.x)").expr == Unary("-", Unary("-", a))
    assert parse_measure("((mean(a.x)))").expr == a


def test_where_after_an_expression_filters_all_of_it():
    got = parse_measure("mean(a.x) - mean(b.x) where seed == 1").expr
    assert got == Filtered(BinOp("-", call("mean", arg("a.x")), call("mean", arg("b.x"))),
                           where(cond("seed", "==", 1)))


def test_where_inside_parentheses_scopes_to_them():
    got = parse_measure("(mean(a.x) where seed == 1) / std(a.x)").expr
    assert got == BinOp("/", Filtered(call("mean", arg("a.x")), where(cond("seed", "==", 1))),
                        call("std", arg("a.x")))


def test_where_condition_may_name_its_source():
    got = parse_measure("spearman(a.x by k, b.y by k) where a.checkpoint == 300").expr
    assert got.where.conds == (cond("checkpoint", "==", 300, source="a"),)


def test_by_and_where_in_either_order():
    one = parse_measure("mean(s.v by k where a == 1)")
    other = parse_measure("mean(s.v where a == 1 by k)")
    assert one == other == Measure(call("mean", arg("s.v", by=["k"], where=where(cond("a", "==", 1)))))


def test_by_keys_stop_before_the_next_argument_and_kwargs():
    got = parse_measure("variance_ratio(s.v by item, seed, between=condition, within=seed)").expr
    assert got.args == (arg("s.v", by=["item", "seed"]),)
    assert [k.name.text for k in got.kwargs] == ["between", "within"]
    got = parse_measure("pearson(a.x by m, s, b.y by m, s)").expr
    assert got.args == (arg("a.x", by=["m", "s"]), arg("b.y", by=["m", "s"]))


def test_optional_and_negative_kwargs():
    assert parse_measure("permutation_p(a.x, b.x)").expr.kwargs == ()
    got = parse_measure("permutation_p(a.x, b.x, n=10000)").expr
    assert got.kwarg("n") == Number(10000) and got.kwarg("missing") is None
    assert parse_measure("accuracy_vs_chance(m.c, chance=-0.5)").expr.kwarg("chance") == Number(-0.5)


def test_names_with_digits_and_underscores():
    got = parse_measure("mean(stage_2.col_3 by _k1)").expr
    assert got == call("mean", arg("stage_2.col_3", by=["_k1"]))


def test_offsets_point_into_the_text():
    text = 'spearman(score.correct by UID where p != "", humans.total_mean by Condition)'
    c = parse_measure(text).expr
    a0, a1 = c.args
    assert (c.func.offset, c.offset, c.end) == (0, 0, len(text))
    assert text[a0.column.offset:a0.column.end] == "score.correct"
    assert a0.column.column_offset == text.index("correct")
    assert a0.by[0].offset == text.index("UID")
    assert text[a0.where.offset:a0.where.end] == 'where p != ""'
    assert text[a0.offset:a0.end] == 'score.correct by UID where p != ""'
    assert text[a1.offset:a1.end] == "humans.total_mean by Condition"
    cond_ = a0.where.conds[0]
    assert text[cond_.offset:cond_.end] == 'p != ""'
    assert text[cond_.value.offset:cond_.value.end] == '""'


def test_binop_and_filter_offsets_span_their_text():
    text = "(mean(a.x) - mean(b.x)) / 2 where s in [1, 2]"
    f = parse_measure(text).expr
    assert (f.offset, f.end) == (0, len(text))
    assert text[f.expr.offset:f.expr.end] == "(mean(a.x) - mean(b.x)) / 2"
    assert text[f.expr.left.offset:f.expr.left.end] == "(mean(a.x) - mean(b.x))"
    assert text[f.where.offset:f.where.end] == "where s in [1, 2]"
    lst = f.where.conds[0].value
    assert text[lst.offset:lst.end] == "[1, 2]"


def test_walk_and_calls_visit_every_node_in_text_order():
    m = parse_measure("cohens_d(a.x by k where z == 1, b.y) - mean(c.z)")
    assert [c.func.text for c in calls(m)] == ["cohens_d", "mean"]
    kinds = [type(n).__name__ for n in walk(m)]
    assert kinds[:4] == ["BinOp", "Call", "Name", "Arg"]
    assert kinds.count("Column") == 3 and kinds.count("Literal") == 1
