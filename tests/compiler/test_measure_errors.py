"""Every malformed measure fails with the offset of the problem, what was found,
what was expected, and (where one helps) a hint.

Each row: text, offset, message, hint (exact). The compiler turns the offset into
file:line:col, so an off-by-one here is a wrong column in the user's terminal.
"""
import pytest

from specc.compiler.measure import MeasureError, parse_measure

CASES = [
    ('   ', 0,
     'empty measure; expected an expression like mean(stage.column)',
     None),
    ('spearmn(a.x by k, b.y by k)', 0,
     "unknown function 'spearmn'",
     "did you mean 'spearman' or 'pearson'?"),
    ('mean()', 5,
     "unexpected ')'; expected a column like stage.column",
     None),
    ('mean(score.correct', 4,
     "unclosed '(': expected ')' before the end of the measure",
     "add ')'"),
    ('(mean(a.x) - mean(b.x)', 0,
     "unclosed '(': expected ')' before the end of the measure",
     "add ')'"),
    ('mean(a.x))', 9,
     "unexpected ')' with no matching '('",
     None),
    ('mean(a.x) mean(b.x)', 10,
     "unexpected 'mean'; expected an operator (+, -, *, /), 'where' or the end of the measure",
     None),
    ('mean(a.x) where', 10,
     "'where' needs a condition",
     'e.g. where checkpoint == 300'),
    ('mean(a.x where)', 9,
     "'where' needs a condition",
     'e.g. where checkpoint == 300'),
    ('mean(a.x where c == 1 and)', 22,
     "'and' needs a condition after it",
     None),
    ('spearman(a.x)', 0,
     'spearman takes 2 arguments, got 1',
     'write spearman(column, column)'),
    ('mean(a.x, b.y)', 0,
     'mean takes 1 argument, got 2',
     'write mean(column)'),
    ('variance_ratio(s.v, between=c, within=s, over=t)', 41,
     "variance_ratio has no argument 'over'",
     "expected one of 'between', 'within'"),
    ('mean(s.v, n=3)', 10,
     "mean has no argument 'n'",
     'mean takes no keyword arguments: mean(column)'),
    ('accuracy_vs_chance(mc.correct)', 0,
     'accuracy_vs_chance needs chance=<number>',
     'write accuracy_vs_chance(column, chance=<number>)'),
    ('accuracy_vs_chance(mc.correct, 0.25)', 31,
     "unexpected '0.25'; expected a column like stage.column",
     'name it: chance=0.25'),
    ('accuracy_vs_chance(mc.correct, chance=high)', 38,
     "chance= must be a number, got 'high'",
     None),
    ('variance_ratio(s.v, between=0.5, within=s)', 28,
     "between= must name a column, got '0.5'",
     'e.g. between=condition'),
    ('variance_ratio(s.v, between=s.c, within=s)', 28,
     "between= names a column of the arguments' table, without a source",
     'write between=c'),
    ('accuracy_vs_chance(m.c, chance=0.3, chance=0.4)', 36,
     'chance= is given twice',
     None),
    ('variance_ratio(between=c, within=s, s.v)', 36,
     'a column after a keyword argument',
     'put columns first: variance_ratio(column, between=<column>, within=<column>)'),
    ('mean(s.v where p == "abc)', 20,
     'unterminated string: " never closes',
     'add a closing "'),
    ('mean(a.x) @ 2', 10,
     "unexpected character '@'",
     None),
    ('mean(s.v where checkpoint = 300)', 26,
     "'=' is not a comparison",
     "did you mean '=='?"),
    ('mean(s.v where a == 1 or a == 2)', 22,
     "'or' is not supported in where conditions",
     'for alternatives use: column in [a, b]'),
    ('score.correct', 0,
     'a column must be inside a function, e.g. mean(score.correct)',
     'columns are aggregated by a function such as mean, median, count'),
    ('mean(s.v) > 0.5', 10,
     "a measure computes a number; the comparison '>' belongs in expect:",
     'move it: expect: "> <threshold>"'),
    ('mean(s.v where model == tiny)', 24,
     'expected a value (a number, a "string", true, false, first or last), got \'tiny\'',
     'quote strings: "tiny"'),
    ('mean(s.v where flag == True)', 23,
     'expected a value (a number, a "string", true, false, first or last), got \'True\'',
     "did you mean 'true'?"),
    ('mean(s.v where x in 1)', 20,
     "unexpected '1'; expected a list after 'in'",
     'e.g. in [1, 2, 3]'),
    ('mean(s.v where x in [])', 21,
     "empty list after 'in'",
     None),
    ('mean(s.v where x in [1, 2)', 25,
     "unexpected ')'; expected ',' or ']'",
     None),
    ('mean(s.v where x == [1])', 20,
     "a list cannot be compared with '=='",
     'write x in [...]'),
    ('mean(s.v by)', 9,
     "'by' needs at least one key column",
     'e.g. by UID, or by model, seed'),
    ('mean(s.v by other.k)', 12,
     "a 'by' key is a column of the argument's own table",
     'write by k'),
    ('mean(s.v by k by j)', 14,
     "'by' is given twice in one argument",
     "list every key after one 'by': by model, seed"),
    ('mean(1e)', 5,
     "malformed number '1e': the exponent has no digits",
     'write e.g. 1e-3'),
    ('mean(s.1x)', 7,
     "malformed number '1x'",
     None),
    ('mean(s.)', 7,
     "expected a column name after 's.', got ')'",
     None),
    ('mean(a.b.c)', 8,
     'a column is source.column, with one dot',
     None),
    ('mean(where.x)', 5,
     "unexpected 'where'; expected a column like stage.column",
     None),
    ('mean(s.where)', 7,
     "expected a column name, got the keyword 'where'",
     None),
    ('mean(mean(s.v))', 5,
     "a call inside mean(...) is a series only with 'per <column>' after it",
     'e.g. mean(mean(s.v) per checkpoint), or combine function results outside the calls: '
     'mean(a.x) - mean(b.x)'),
    ('pearson(mean(s.v) per c, s.w)', 8,
     "pearson's arguments are columns, not a call to 'mean'; expected a column like stage.column",
     'combine function results outside the calls: mean(a.x) - mean(b.x); a series (... per key) '
     'is summarised by argmax, argmin, first_reaching, max, mean, median, min, range, std'),
    ('mean(v)', 5,
     "expected a column like stage.column, got 'v'",
     'name the table it comes from: <stage>.v'),
    ('mean(s.v) where c == 1 - mean(b.x)', 23,
     "unexpected '-'; expected 'and' or the end of the measure",
     'a where filters the whole expression before it; put it last, or inside an argument: mean(stage.column where ...)'),
    ('mean(s.v) where a == 1 where b == 2', 23,
     "a second 'where'",
     "join conditions with 'and': where a == 1 and b == 2"),
    ('mean(a.x) where b.c == 1', 16,
     "this condition filters 'b', but the expression before 'where' reads only 'a'",
     None),
    ('mean(s.v where other.c == 1)', 15,
     "this condition filters 'other', but the argument reads 's'",
     'write c without a source, or move it to the argument that reads other'),
    ('2 where c == 1', 2,
     "this 'where' filters nothing: no column is read before it",
     'a where follows a function call, e.g. mean(score.correct) where checkpoint == 300'),
    ('spearman(a.x by k, b.y by k, j)', 0,
     "spearman joins its arguments on their 'by' keys, in order, but they have 1 and 2 keys",
     'group every argument by the same number of keys'),
    ('spearman(a.x by k, b.y)', 0,
     "spearman joins its arguments on their 'by' keys, in order, but they have 1 and 0 keys",
     'group every argument by the same number of keys'),
    ('mean(s.v where c == 1 2)', 22,
     "unexpected '2'; expected 'and', 'by', ',' or ')'",
     None),
    ('mean(s.v b.y)', 9,
     "unexpected 'b'; expected 'by', 'where', ',' or ')'",
     None),
    ('mean', 4,
     "expected '(' after 'mean'",
     'write mean(stage.column)'),
    ('foo', 0,
     "unexpected 'foo'; expected a function call like mean(stage.column), a number or '('",
     None),
    ('mean(s.v) +', 11,
     "unexpected end of input; expected a function call like mean(stage.column), a number or '('",
     None),
    ('"abc"', 0,
     'unexpected string "abc"; strings are values in where conditions',
     'e.g. mean(score.correct) where model == "tiny"'),
    ('mean(score.log-prob)', 11,
     "names cannot contain '-': 'log-prob'",
     "names are letters, digits and '_'; put spaces around '-' to subtract"),
    ('mean(s.v where p == “x”)', 20,
     "typographic quote '“'",
     'use plain quotes: "..." or \'...\''),
    ('mean(s.v where p == "a\\q")', 22,
     "unknown escape '\\q' in a string",
     'escapes are \\\\, \\", \\\', \\n and \\t'),
    ('mean(s.v) => 2', 10,
     "unknown operator '=>'",
     "did you mean '>='?"),
    ('mean(s.v) ** 2', 10,
     "unknown operator '**'",
     'powers are not supported'),
    ('mean(s.v) && 1', 10,
     "unknown operator '&&'",
     "combine conditions with 'and'; 'or' is not supported, use 'in [...]'"),
    ('1.2.3', 0,
     "malformed number '1.2.3'",
     None),
    ('300abc', 0,
     "malformed number '300abc'",
     None),
    ('mean(s.v where c == 1 and or)', 22,
     "'and' needs a condition after it",
     None),
    ('mean(s.v) where s.c == 1 and', 25,
     "'and' needs a condition after it",
     None),
    ('mean(s.v, chance=1)', 10,
     "mean has no argument 'chance'",
     'mean takes no keyword arguments: mean(column)'),
]


@pytest.mark.parametrize("text, offset, message, hint", CASES, ids=[c[0] for c in CASES])
def test_error(text, offset, message, hint):
    with pytest.raises(MeasureError) as info:
        parse_measure(text)
    err = info.value
    assert (err.offset, err.message, err.hint) == (offset, message, hint)
    assert 0 <= err.offset <= len(text)


def test_brief_required_errors_are_covered():
    texts = {c[0] for c in CASES}
    assert {"mean()", "spearmn(a.x by k, b.y by k)", "mean(score.correct", "mean(a.x) mean(b.x)",
            "mean(a.x) where"} <= texts
    assert len(CASES) >= 15


def test_non_text_measure():
    with pytest.raises(MeasureError) as info:
        parse_measure(0.5)
    assert info.value.offset == 0
    assert info.value.message == "a measure must be text, got float 0.5"


def test_error_str_names_offset_and_hint():
    with pytest.raises(MeasureError) as info:
        parse_measure("spearmn(a.x by k, b.y by k)")
    assert str(info.value) == ("at character 0: unknown function 'spearmn' "
                               "(hint: did you mean 'spearman' or 'pearson'?)")


def test_deep_nesting_is_an_error_not_a_crash():
    text = "(" * 200 + "1" + ")" * 200
    with pytest.raises(MeasureError) as info:
        parse_measure(text)
    assert info.value.message == "the measure nests deeper than 48 levels"
    assert parse_measure("(" * 40 + "1" + ")" * 40).expr.value == 1
    with pytest.raises(MeasureError):
        parse_measure("-" * 500 + "1")


@pytest.mark.parametrize("text", [
    "mean(a.x) where c == 1 - mean(b.x)", "mean(a.x where c == 1 or d == 2)", "mean(a.x,)",
    "mean(a.x by k,)", "spearman(a.x by k, b.y by k", "mean(a.x) / (", "mean(a.x where c in [1,",
    "mean(a.x where c ==", "(", ")", "mean(", "mean(a", "mean(a.x by k where", "-", "1 +* 2",
])
def test_truncated_and_garbled_input_raises_measure_error(text):
    with pytest.raises(MeasureError) as info:
        parse_measure(text)
    assert 0 <= info.value.offset <= len(text)


# Any text at all either parses or raises MeasureError inside the text: never an
# IndexError, RecursionError or other traceback reaching the user.
from hypothesis import given, settings, strategies as st  # noqa: E402

_PIECES = st.sampled_from([
    "mean", "spearman", "variance_ratio", "(", ")", "[", "]", ",", ".", " ", "=", "==", "<",
    ">=", "-", "+", "*", "/", "where", "by", "and", "or", "not", "in", "true", "1", "0.5",
    "1e", '"s"', "'", '"', "a", "b.x", "chance", "between", "@", "\\", "%"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_fuzz_only_measure_errors(text):
    try:
        parse_measure(text)
    except MeasureError as err:
        assert 0 <= err.offset <= len(text)
        assert err.message
