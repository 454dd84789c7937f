"""Parse a `when:` gate into a small syntax tree, and decide it from verdicts.

    when: "H1 is supported"
    when: "H1 is not supported"
    when: "H1a is supported or H1b is supported"          # if H1 passes by either test
    when: "not (H1 is supported or H2 is supported) and H0 is refuted"

    gate := or
    or   := and ('or' and)*
    and  := not ('and' not)*
    not  := 'not' not | '(' gate ')' | atom
    atom := HYPOTHESIS 'is' ['not'] (supported | refuted | inconclusive)

Deciding (`Gate.state(verdicts)`): each atom is true, false or still unknown (its
hypothesis has no verdict yet); `and` is false as soon as one side is, `or` true as
soon as one side is, so a gate can open before every hypothesis it names is decided.
A condition on a hypothesis that was *not tested* (its own gate closed) is false in
either polarity, `is` or `is not`, also under `not`: negations are pushed down to
the atoms (De Morgan) before deciding, so skipping a hypothesis never opens a gate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .errors import names_hint
from .measure_lexer import MeasureError, Token, tokenize

OUTCOMES = ("supported", "refuted", "inconclusive")
NOT_TESTED = "not tested"
_EXAMPLE = 'e.g. "H1 is supported", "H1 is not supported" or "H1 is supported or H2 is supported"'
# Gate verbs from prose ("if H1 passes") and the outcome they probably mean.
_GATE_VERBS = {"passes": "supported", "passed": "supported", "holds": "supported",
               "succeeds": "supported", "fails": "refuted", "failed": "refuted",
               "confirmed": "supported", "rejected": "refuted"}
_pos = dict(default=0, compare=False)


@dataclass(frozen=True)
class Atom:
    """`H1 is [not] supported`."""

    hypothesis: str
    negated: bool
    outcome: str                 # one of OUTCOMES
    offset: int = field(**_pos)  # of the hypothesis name

    def __str__(self) -> str:
        return f"{self.hypothesis} is {'not ' if self.negated else ''}{self.outcome}"


@dataclass(frozen=True)
class Not:
    operand: "GateExpr"
    offset: int = field(**_pos)

    def __str__(self) -> str:
        return f"not {_wrap(self.operand, 3)}"


@dataclass(frozen=True)
class BoolOp:
    op: str                      # "and" | "or"
    operands: tuple["GateExpr", ...]
    offset: int = field(**_pos)

    def __str__(self) -> str:
        prec = _PREC[self.op]
        return f" {self.op} ".join(_wrap(o, prec + (o is not self.operands[0])) for o in self.operands)


GateExpr = Union[Atom, Not, BoolOp]
_PREC = {"or": 1, "and": 2}


def _prec(node) -> int:
    return _PREC[node.op] if isinstance(node, BoolOp) else 3


def _wrap(node, need: int) -> str:
    text = str(node)
    return f"({text})" if _prec(node) < need else text


@dataclass(frozen=True)
class GateState:
    state: str                   # open | closed | pending
    reason: str | None = None    # why closed, in words

    @property
    def open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class Gate:
    """A parsed `when:`; `str(gate)` is its canonical text."""

    expr: GateExpr
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return str(self.expr)

    @property
    def atoms(self) -> tuple[Atom, ...]:
        return tuple(_atoms(self.expr))

    @property
    def hypotheses(self) -> tuple[str, ...]:
        """The hypotheses the gate names, each once, in text order."""
        return tuple(dict.fromkeys(a.hypothesis for a in self.atoms))

    def value(self, verdicts: dict[str, str]) -> bool | None:
        """True (open), False (closed) or None (pending), given hypothesis -> status."""
        return _value(_push_not(self.expr, False), verdicts)

    def state(self, verdicts: dict[str, str]) -> GateState:
        value = self.value(verdicts)
        if value is None:
            return GateState("pending")
        if value:
            return GateState("open")
        shown = ", ".join(f"{h} {'was not tested' if verdicts[h] == NOT_TESTED else 'is ' + verdicts[h]}"
                          for h in self.hypotheses if h in verdicts)
        return GateState("closed", f'gate "{self}" closed: {shown}')


def _atoms(node):
    if isinstance(node, Atom):
        yield node
    elif isinstance(node, Not):
        yield from _atoms(node.operand)
    else:
        for o in node.operands:
            yield from _atoms(o)


def _push_not(node, negate: bool):
    """Negation normal form: `not` only inside atoms."""
    if isinstance(node, Atom):
        return Atom(node.hypothesis, node.negated != negate, node.outcome, node.offset) if negate else node
    if isinstance(node, Not):
        return _push_not(node.operand, not negate)
    op = node.op if not negate else {"and": "or", "or": "and"}[node.op]
    return BoolOp(op, tuple(_push_not(o, negate) for o in node.operands), node.offset)


def _value(node, verdicts: dict[str, str]) -> bool | None:
    if isinstance(node, Atom):
        verdict = verdicts.get(node.hypothesis)
        if verdict is None:
            return None
        if verdict == NOT_TESTED:
            return False
        return (verdict == node.outcome) != node.negated
    values = [_value(o, verdicts) for o in node.operands]
    decisive = node.op == "or"          # True decides an `or`, False an `and`
    if decisive in values:
        return decisive
    return None if None in values else not decisive


# -- parsing --------------------------------------------------------------------------

def parse_gate(text: str) -> Gate:
    if not isinstance(text, str) or not text.strip():
        got = "empty gate" if isinstance(text, str) else f"a gate must be text, got {text!r}"
        raise MeasureError(0, f"{got}; expected a hypothesis and its outcome", _EXAMPLE)
    parser = _GateParser(tokenize(text))
    expr = parser.or_()
    end = parser.tok
    if end.kind != "end":
        if end.text == ")":
            raise MeasureError(end.offset, "unexpected ')' with no matching '('")
        raise MeasureError(end.offset, f"unexpected {end.describe()} after the outcome",
                           "join conditions with 'and' or 'or'")
    return Gate(expr, text)


class _GateParser:
    def __init__(self, tokens: list[Token]):
        self.tokens, self.i, self.depth = tokens, 0, 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def word(self, k: int = 0) -> str | None:
        t = self.tokens[min(self.i + k, len(self.tokens) - 1)]
        return t.text.lower() if t.kind == "name" else None

    def next(self) -> Token:
        t = self.tok
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return t

    def or_(self) -> GateExpr:
        return self._chain("or", self.and_)

    def and_(self) -> GateExpr:
        return self._chain("and", self.not_)

    def _chain(self, op: str, operand) -> GateExpr:
        first = operand()
        items = [first]
        while self.word() == op:
            kw = self.next()
            if self.tok.kind == "end":
                raise MeasureError(kw.offset, f"'{op}' needs a condition after it", _EXAMPLE)
            items.append(operand())
        return items[0] if len(items) == 1 else BoolOp(op, tuple(items), first.offset)

    def not_(self) -> GateExpr:
        self.depth += 1
        if self.depth > 32:
            raise MeasureError(self.tok.offset, "the gate nests deeper than 32 levels")
        try:
            tok = self.tok
            if self.word() == "not":
                self.next()
                return Not(self.not_(), tok.offset)
            if tok.kind == "op" and tok.text == "(":
                self.next()
                inner = self.or_()
                if self.tok.kind == "end":
                    raise MeasureError(tok.offset, "unclosed '(': expected ')' before the end of the gate",
                                       "add ')'")
                if not (self.tok.kind == "op" and self.tok.text == ")"):
                    raise MeasureError(self.tok.offset, f"unexpected {self.tok.describe()}; expected "
                                       "'and', 'or' or ')'")
                self.next()
                return inner
            return self.atom()
        finally:
            self.depth -= 1

    def atom(self) -> Atom:
        hyp = self.tok
        if hyp.kind != "name":
            raise MeasureError(hyp.offset, f"expected a hypothesis name like H1, got {hyp.describe()}",
                               _EXAMPLE)
        name = hyp.text
        nxt = self.tokens[min(self.i + 1, len(self.tokens) - 1)]
        if name.lower() in ("if", "when", "unless", "only") and nxt.kind == "name":
            raise MeasureError(hyp.offset, f"expected a hypothesis name like H1, got {hyp.text!r}",
                               f'write "{nxt.text} is supported"')
        if name.lower() in ("is", "and", "or", *OUTCOMES):
            raise MeasureError(hyp.offset, f"expected a hypothesis name like H1 before {hyp.text!r}",
                               _EXAMPLE)
        self.next()
        if self.word() != "is":
            negated = self.word() == "not"
            verb = self.word(1) if negated else self.word()
            outcome = _GATE_VERBS.get(verb or "", verb if verb in OUTCOMES else None)
            hint = (f'write "{name} is {"not " if negated else ""}{outcome}"' if outcome
                    else f'write "{name} is supported"')
            raise MeasureError(self.tok.offset, f"expected 'is' after {name!r}, got "
                               f"{self.tok.describe()}", hint)
        self.next()
        negated = self.word() == "not"
        if negated:
            self.next()
        tok = self.tok
        if tok.kind != "name":
            raise MeasureError(tok.offset, "expected an outcome (supported, refuted or inconclusive), "
                               f"got {tok.describe()}", _EXAMPLE)
        if tok.text.lower() not in OUTCOMES:
            raise MeasureError(tok.offset, f"unknown outcome {tok.text!r}",
                               names_hint(tok.text.lower(), OUTCOMES))
        self.next()
        return Atom(name, negated, tok.text.lower(), hyp.offset)
