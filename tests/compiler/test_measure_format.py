"""format_measure prints canonical text that parses back to the same tree.

The pre-registration report shows measures in this form, and the lock hashes it,
so spacing differences must not change it and re-parsing must not change meaning.
"""
import pytest
from hypothesis import given, settings, strategies as st

from specc.compiler.measure import format_measure, parse_measure
from specc.compiler.measure_ast import (Arg, BinOp, Call, Column, Cond, Filtered, Kwarg, Literal,
                                        LiteralList, Measure, Name, Number, Unary, Where)
from specc.compiler.measure_where import KEYWORDS


@pytest.mark.parametrize("text, canonical", [
    ("mean(score.correct)where checkpoint==300", "mean(score.correct) where checkpoint == 300"),
    ("spearman( score.correct by UID,humans.total_mean by Condition )",
     "spearman(score.correct by UID, humans.total_mean by Condition)"),
    ("((mean(a.x)-mean(b.x)))/std(a.x)", "(mean(a.x) - mean(b.x)) / std(a.x)"),
    ("mean(a.x) - (mean(b.x) - mean(c.x))", "mean(a.x) - (mean(b.x) - mean(c.x))"),
    ("(mean(a.x) - mean(b.x)) - mean(c.x)", "mean(a.x) - mean(b.x) - mean(c.x)"),
    ("-(mean(a.x) * 2)", "-(mean(a.x) * 2)"),
    ("(-mean(a.x)) * 2", "-mean(a.x) * 2"),
    ("1e-3 + 2", "0.001 + 2"),
    ("mean(s.v where k in [1,2] and p == 'it\\'s' and f != true)",
     "mean(s.v where k in [1, 2] and p == \"it's\" and f != true)"),
    ("mean(s.v where z not  in ['a'])", 'mean(s.v where z not in ["a"])'),
    ("mean(s.v where k == 1 by a,b)", "mean(s.v by a, b where k == 1)"),
    ("accuracy_vs_chance(m.c, chance = -0.25)", "accuracy_vs_chance(m.c, chance=-0.25)"),
    ("(mean(a.x) where s == 1) / 2", "(mean(a.x) where s == 1) / 2"),
    ("(mean(a.x) where s == 1) where t == 2", "(mean(a.x) where s == 1) where t == 2"),
])
def test_canonical_text(text, canonical):
    parsed = parse_measure(text)
    assert format_measure(parsed) == canonical == str(parsed)
    assert parse_measure(canonical) == parsed


def test_strings_are_escaped():
    m = parse_measure(r'mean(s.v where p == "a\"b\\c\nd\te")')
    assert format_measure(m) == r'mean(s.v where p == "a\"b\\c\nd\te")'
    assert parse_measure(format_measure(m)) == m


# -- property: any tree the parser can produce survives format -> parse ----------------
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS)
_literal = st.one_of(
    st.integers(-1000, 10**6).map(Literal),
    st.floats(-1e6, 1e6, allow_nan=False).map(Literal),
    st.booleans().map(Literal),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6).map(Literal))


@st.composite
def _where(draw, allowed_sources=()):
    conds = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]))
        value = (LiteralList(tuple(draw(st.lists(_literal, min_size=1, max_size=3))))
                 if op in ("in", "not in") else draw(_literal))
        source = None
        if allowed_sources and draw(st.booleans()):
            source = Name(draw(st.sampled_from(sorted(allowed_sources))))
        conds.append(Cond(Name(draw(_names)), op, value, source))
    return Where(tuple(conds))


@st.composite
def _arg(draw, n_keys=None):
    source, column = draw(_names), draw(_names)
    keys = draw(st.integers(0, 2)) if n_keys is None else n_keys
    by = tuple(Name(draw(_names)) for _ in range(keys))
    where = draw(st.none() | _where((source,)))
    return Arg(Column(source, column), by, where)


@st.composite
def _call(draw):
    func = draw(st.sampled_from(["mean", "count", "spearman", "cohens_d", "accuracy_vs_chance",
                                 "variance_ratio", "permutation_p"]))
    if func in ("mean", "count"):
        return Call(Name(func), (draw(_arg()),))
    if func == "spearman":
        keys = draw(st.integers(0, 2))
        return Call(Name(func), (draw(_arg(keys)), draw(_arg(keys))))
    if func == "cohens_d":
        return Call(Name(func), (draw(_arg()), draw(_arg())))
    if func == "accuracy_vs_chance":
        chance = draw(st.floats(-1, 1, allow_nan=False))
        return Call(Name(func), (draw(_arg()),), (Kwarg(Name("chance"), Number(chance)),))
    if func == "variance_ratio":
        kw = (Kwarg(Name("between"), Name(draw(_names))), Kwarg(Name("within"), Name(draw(_names))))
        return Call(Name(func), (draw(_arg()),), kw)
    n = draw(st.none() | st.integers(1, 10**5))
    kw = () if n is None else (Kwarg(Name("n"), Number(n)),)
    return Call(Name(func), (draw(_arg()), draw(_arg())), kw)


def _sources(expr):
    from specc.compiler.measure_ast import sources
    return {s.text for s in sources(expr)}


@st.composite
def _filtered(draw, inner):
    expr = draw(inner)
    scope = _sources(expr)
    if not scope:
        return expr
    return Filtered(expr, draw(_where(scope)))


_numbers = st.one_of(st.integers(0, 10**6), st.floats(0, 1e9, allow_nan=False)).map(Number)
_exprs = st.recursive(
    st.one_of(_numbers, _call()),
    lambda inner: st.one_of(
        st.builds(BinOp, st.sampled_from("+-*/"), inner, inner),
        st.builds(Unary, st.just("-"), inner),
        _filtered(inner)),
    max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(_exprs)
def test_format_then_parse_is_identity(expr):
    measure = Measure(expr)
    text = format_measure(measure)
    assert parse_measure(text) == measure, text
    assert format_measure(parse_measure(text)) == text
