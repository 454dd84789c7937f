"""`when:` gates: `<hypothesis> is [not] supported|refuted|inconclusive`, combined with
and / or / not and parentheses."""
import pytest

from specc.compiler.gates import Atom, BoolOp, Not, parse_gate
from specc.compiler.measure_lexer import MeasureError


@pytest.mark.parametrize("text, expr", [
    ("H1 is supported", Atom("H1", False, "supported")),
    ("H1 is not supported", Atom("H1", True, "supported")),
    ("H2 is refuted", Atom("H2", False, "refuted")),
    ("H3 is inconclusive", Atom("H3", False, "inconclusive")),
    ("  h_2b IS NOT Refuted ", Atom("h_2b", True, "refuted")),
    ("H1 is supported or H2 is supported",
     BoolOp("or", (Atom("H1", False, "supported"), Atom("H2", False, "supported")))),
    ("A is supported or B is supported and C is refuted",    # and binds tighter than or
     BoolOp("or", (Atom("A", False, "supported"),
                   BoolOp("and", (Atom("B", False, "supported"), Atom("C", False, "refuted")))))),
    ("not (A is supported or B is supported)",
     Not(BoolOp("or", (Atom("A", False, "supported"), Atom("B", False, "supported"))))),
])
def test_gates(text, expr):
    assert parse_gate(text).expr == expr


def test_offsets_point_at_each_hypothesis():
    assert [a.offset for a in parse_gate("  h_2b is refuted or H3 is supported").atoms] == [2, 21]


@pytest.mark.parametrize("text", [
    "H1 is supported", "H1 is not refuted", "H1 is supported or H2 is refuted",
    "(A is supported or B is supported) and C is refuted", "not (A is supported and B is refuted)",
    "not A is supported",
])
def test_str_is_canonical_and_parses_back(text):
    gate = parse_gate(text)
    assert str(gate) == text
    assert parse_gate(str(gate)) == gate


@pytest.mark.parametrize("text, verdict, opens", [
    ("H1 is supported", "supported", True), ("H1 is supported", "refuted", False),
    ("H1 is supported", "inconclusive", False), ("H1 is not supported", "supported", False),
    ("H1 is not supported", "refuted", True), ("H1 is not supported", "inconclusive", True),
    ("H1 is refuted", "refuted", True),
    ("not H1 is supported", "refuted", True), ("not H1 is supported", "supported", False),
])
def test_one_hypothesis(text, verdict, opens):
    assert parse_gate(text).value({"H1": verdict}) is opens


# Truth tables of and / or / not against Python's own operators, every combination.
@pytest.mark.parametrize("a", ["supported", "refuted"])
@pytest.mark.parametrize("b", ["supported", "refuted"])
def test_combinations_match_boolean_logic(a, b):
    verdicts = {"A": a, "B": b}
    A, B = a == "supported", b == "supported"
    assert parse_gate("A is supported and B is supported").value(verdicts) is (A and B)
    assert parse_gate("A is supported or B is supported").value(verdicts) is (A or B)
    assert parse_gate("not (A is supported or B is supported)").value(verdicts) is (not (A or B))
    assert parse_gate("not A is supported and B is supported").value(verdicts) is ((not A) and B)


def test_undecided_is_pending_unless_the_other_side_decides():
    g_or = parse_gate("A is supported or B is supported")
    g_and = parse_gate("A is supported and B is supported")
    assert g_or.value({}) is None and g_and.value({}) is None
    assert g_or.value({"A": "supported"}) is True           # open before B is decided
    assert g_or.value({"A": "refuted"}) is None
    assert g_and.value({"A": "refuted"}) is False           # closed before B is decided
    assert g_and.state({"A": "refuted"}).reason == (
        'gate "A is supported and B is supported" closed: A is refuted')


@pytest.mark.parametrize("text", ["H1 is supported", "H1 is not supported", "not H1 is supported",
                                  "not (H1 is supported or H1 is refuted)"])
def test_a_hypothesis_that_was_not_tested_never_opens_a_gate(text):
    state = parse_gate(text).state({"H1": "not tested"})
    assert state.state == "closed" and "H1 was not tested" in state.reason


@pytest.mark.parametrize("text, offset, message, hint", [
    ("H1 supported", 3, "expected 'is' after 'H1', got 'supported'", 'write "H1 is supported"'),
    ("H1 not supported", 3, "expected 'is' after 'H1', got 'not'", 'write "H1 is not supported"'),
    ("H1 passes", 3, "expected 'is' after 'H1', got 'passes'", 'write "H1 is supported"'),
    ("H1 fails", 3, "expected 'is' after 'H1', got 'fails'", 'write "H1 is refuted"'),
    ("H1", 2, "expected 'is' after 'H1', got end of input", 'write "H1 is supported"'),
    ("H1 is suported", 6, "unknown outcome 'suported'", "did you mean 'supported'?"),
    ("H1 is true", 6, "unknown outcome 'true'",
     "expected one of 'inconclusive', 'refuted', 'supported'"),
    ("H1 is", 5, "expected an outcome (supported, refuted or inconclusive), got end of input",
     'e.g. "H1 is supported", "H1 is not supported" or "H1 is supported or H2 is supported"'),
    ("H1 is supported and", 16, "'and' needs a condition after it",
     'e.g. "H1 is supported", "H1 is not supported" or "H1 is supported or H2 is supported"'),
    ("H1 is supported.", 15, "unexpected '.' after the outcome", "join conditions with 'and' or 'or'"),
    ("(H1 is supported", 0, "unclosed '(': expected ')' before the end of the gate", "add ')'"),
    ("H1 is supported)", 15, "unexpected ')' with no matching '('", None),
    ("is supported", 0, "expected a hypothesis name like H1 before 'is'",
     'e.g. "H1 is supported", "H1 is not supported" or "H1 is supported or H2 is supported"'),
    ("1 is supported", 0, "expected a hypothesis name like H1, got '1'",
     'e.g. "H1 is supported", "H1 is not supported" or "H1 is supported or H2 is supported"'),
    ("", 0, "empty gate; expected a hypothesis and its outcome",
     'e.g. "H1 is supported", "H1 is not supported" or "H1 is supported or H2 is supported"'),
])
def test_errors(text, offset, message, hint):
    with pytest.raises(MeasureError) as info:
        parse_gate(text)
    assert (info.value.offset, info.value.message, info.value.hint) == (offset, message, hint)
