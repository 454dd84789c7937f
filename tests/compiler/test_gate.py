"""`when:` gates: `<hypothesis> is [not] supported|refuted|inconclusive`."""
import pytest

from specc.compiler.measure_lexer import MeasureError
from specc.compiler.thresholds import Gate, parse_gate


@pytest.mark.parametrize("text, gate", [
    ("H1 is supported", Gate("H1", False, "supported", 0)),
    ("H1 is not supported", Gate("H1", True, "supported", 0)),
    ("H2 is refuted", Gate("H2", False, "refuted", 0)),
    ("H3 is inconclusive", Gate("H3", False, "inconclusive", 0)),
    ("  h_2b IS NOT Refuted ", Gate("h_2b", True, "refuted", 2)),
])
def test_gates(text, gate):
    assert parse_gate(text) == gate


def test_str_is_canonical_and_parses_back():
    for text in ("H1 is supported", "H1 is not refuted"):
        assert str(parse_gate(text)) == text
        assert parse_gate(str(parse_gate(text))) == parse_gate(text)


@pytest.mark.parametrize("text, verdict, opens", [
    ("H1 is supported", "supported", True), ("H1 is supported", "refuted", False),
    ("H1 is supported", "inconclusive", False), ("H1 is not supported", "supported", False),
    ("H1 is not supported", "refuted", True), ("H1 is not supported", "inconclusive", True),
    ("H1 is refuted", "refuted", True),
])
def test_passes(text, verdict, opens):
    assert parse_gate(text).passes(verdict) is opens


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
     'e.g. "H1 is supported" or "H1 is not supported"'),
    ("H1 is not", 9, "expected an outcome (supported, refuted or inconclusive), got end of input",
     'e.g. "H1 is supported" or "H1 is not supported"'),
    ("H1 is supported and H2 is refuted", 16, "unexpected 'and' after the outcome",
     "one gate tests one hypothesis"),
    ("H1 is supported.", 15, "unexpected '.' after the outcome", None),
    ("is supported", 0, "expected a hypothesis name like H1 before 'is'",
     'write "H1 is supported"'),
    ("1 is supported", 0, "expected a hypothesis name like H1, got '1'",
     'e.g. "H1 is supported" or "H1 is not supported"'),
    ("", 0, "empty gate; expected a hypothesis and its outcome",
     'e.g. "H1 is supported" or "H1 is not supported"'),
])
def test_errors(text, offset, message, hint):
    with pytest.raises(MeasureError) as info:
        parse_gate(text)
    assert (info.value.offset, info.value.message, info.value.hint) == (offset, message, hint)
