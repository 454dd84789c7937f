"""`expect:` thresholds: comparator + number, checked without eval."""
import math

import pytest

from specc.compiler.measure_lexer import MeasureError
from specc.compiler.thresholds import Expect, parse_expect


@pytest.mark.parametrize("text, comparator, threshold", [
    ("> 0.5", ">", 0.5), (">= 0.7", ">=", 0.7), ("< 0.05", "<", 0.05), ("<= -1", "<=", -1.0),
    ("== 0", "==", 0.0), ("!= 0", "!=", 0.0), (">0.5", ">", 0.5), ("  >=   1e-3 ", ">=", 0.001),
])
def test_comparisons(text, comparator, threshold):
    got = parse_expect(text)
    assert got == Expect(comparator, threshold)
    assert isinstance(got.threshold, float) and got.upper is None
    assert got.bounds == (threshold,)


def test_between_is_inclusive():
    got = parse_expect("between 0.2 and 0.4")
    assert got == Expect("between", 0.2, 0.4)
    assert got.bounds == (0.2, 0.4)
    assert [got.holds(v) for v in (0.1, 0.2, 0.3, 0.4, 0.5)] == [False, True, True, True, False]
    assert parse_expect("between -1 and -1").holds(-1)


@pytest.mark.parametrize("text, value, holds", [
    ("> 0.5", 0.5, False), ("> 0.5", 0.51, True), (">= 0.5", 0.5, True), ("< 0.05", 0.049, True),
    ("<= -1", -1, True), ("<= -1", -0.9, False), ("== 0", 0.0, True), ("!= 0", 0.0, False),
    ("!= 0", 1e-9, True), ("> 0.5", math.nan, False), ("!= 0", math.nan, False),
])
def test_holds(text, value, holds):
    assert parse_expect(text).holds(value) is holds


@pytest.mark.parametrize("text, canonical", [
    ("> 0.5", "> 0.5"), (">=1", ">= 1"), ("<= -1.0", "<= -1"), ("< 1e-3", "< 0.001"),
    ("between 0.2 and 0.40", "between 0.2 and 0.4"),
])
def test_str_is_canonical_and_parses_back(text, canonical):
    got = parse_expect(text)
    assert str(got) == canonical
    assert parse_expect(str(got)) == got


@pytest.mark.parametrize("text, offset, message, hint", [
    ("> high", 2, "threshold must be a number, got 'high'", None),
    ("=> 0.5", 0, "unknown operator '=>'", "did you mean '>='?"),
    ("=< 0.5", 0, "unknown operator '=<'", "did you mean '<='?"),
    ("≥ 0.7", 0, "unknown operator '≥'", "did you mean '>='?"),
    ("= 1", 0, "'=' is not a comparator", "did you mean '=='?"),
    ("0.5", 0, "expected a comparator (>, >=, <, <=, ==, !=) or 'between' before the threshold",
     'write ">= 0.5" or "> 0.5"'),
    ("-1", 0, "expected a comparator (>, >=, <, <=, ==, !=) or 'between' before the threshold",
     'write ">= -1" or "> -1"'),
    ("gt 0.5", 0, "expected a comparator (>, >=, <, <=, ==, !=) or 'between', got 'gt'",
     "did you mean '>'?"),
    ("betwen 1 and 2", 0,
     "expected a comparator (>, >=, <, <=, ==, !=) or 'between', got 'betwen'",
     "did you mean 'between'?"),
    ("> 50%", 4, "unexpected character '%'", "write a fraction, e.g. 0.5 for 50%"),
    (">", 1, "expected a threshold number after '>'",
     'e.g. expect: "> 0.5", ">= 0.7" or "between 0.2 and 0.4"'),
    ("> 0.5 extra", 6, "unexpected 'extra' after the threshold", None),
    ("> 0.5 and < 0.7", 6, "unexpected 'and' after the threshold",
     "combine thresholds with 'between 0.2 and 0.4'"),
    ("between 0.4 and 0.2", 8, "the lower bound 0.4 is above the upper bound 0.2",
     "write between 0.2 and 0.4"),
    ("between 0.2 or 0.4", 12, "expected 'and' after the lower bound, got 'or'",
     "write between 0.2 and 0.4"),
    ("between 0.2 and", 15, "expected a threshold number after 'and'",
     'e.g. expect: "> 0.5", ">= 0.7" or "between 0.2 and 0.4"'),
    ("> 1e400", 2, "threshold 1e400 is not a finite number", None),
    ("", 0, 'empty expect; expected a comparison like "> 0.5"',
     'e.g. expect: "> 0.5", ">= 0.7" or "between 0.2 and 0.4"'),
])
def test_errors(text, offset, message, hint):
    with pytest.raises(MeasureError) as info:
        parse_expect(text)
    assert (info.value.offset, info.value.message, info.value.hint) == (offset, message, hint)


def test_a_yaml_number_is_rejected_with_a_fix():
    with pytest.raises(MeasureError) as info:
        parse_expect(0.5)
    assert info.value.message == "expect: needs a comparator and a threshold, got float 0.5"
    assert info.value.hint == 'write ">= 0.5" or "> 0.5"'
