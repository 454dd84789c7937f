"""The token cursor under the measure parser, and the `where` conditions it parses.

Split from measure.py to keep each module small; see the grammar there.
"""
from __future__ import annotations

from .measure_ast import POSITIONS, Cond, Literal, LiteralList, Name, Where
from .measure_lexer import MeasureError, Token, tokenize

KEYWORDS = frozenset({"where", "by", "per", "and", "or", "not", "in", "true", "false"})
COMPARE = ("==", "!=", "<", "<=", ">", ">=")


class TokenCursor:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0  # nesting, bounded so deep input cannot overflow the stack

    # -- token helpers ---------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tok
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def at(self, text: str, kind: str = "op") -> bool:
        return self.tok.kind == kind and self.tok.text == text

    def at_word(self, word: str) -> bool:
        return self.at(word, "name")

    def end_of_previous(self) -> int:
        return self.tokens[self.i - 1].end if self.i else 0

    def fail(self, tok: Token, expected: str, hint: str | None = None) -> MeasureError:
        return MeasureError(tok.offset, f"unexpected {tok.describe()}; expected {expected}", hint)

    def name(self, what: str) -> Name:
        tok = self.tok
        if tok.kind != "name":
            raise self.fail(tok, what)
        if tok.text in KEYWORDS:
            raise MeasureError(tok.offset, f"expected {what}, got the keyword {tok.text!r}")
        self.next()
        return Name(tok.text, tok.offset)

    def close(self, opener: Token, closer: str, expected: str) -> Token:
        if self.tok.kind == "end":
            raise MeasureError(opener.offset, f"unclosed {opener.text!r}: expected {closer!r} "
                               "before the end of the measure", f"add {closer!r}")
        if not self.at(closer):
            raise self.fail(self.tok, expected)
        return self.next()

    # -- where -----------------------------------------------------------------------
    def where(self) -> Where:
        kw = self.next()
        if self.tok.kind != "name" or self.tok.text in KEYWORDS:
            raise MeasureError(kw.offset, "'where' needs a condition",
                               "e.g. where checkpoint == 300")
        conds = [self.cond()]
        while self.at_word("and"):
            and_ = self.next()
            if self.tok.kind != "name" or self.tok.text in KEYWORDS:
                raise MeasureError(and_.offset, "'and' needs a condition after it")
            conds.append(self.cond())
        if self.at_word("or"):
            raise MeasureError(self.tok.offset, "'or' is not supported in where conditions",
                               "for alternatives use: column in [a, b]")
        return Where(tuple(conds), kw.offset, self.end_of_previous())

    def cond(self) -> Cond:
        source, column = None, self.name("a column name")
        if self.at("."):
            self.next()
            source, column = column, self.name("a column name after '.'")
        tok = self.tok
        if tok.kind == "op" and tok.text in COMPARE:
            op = self.next().text
        elif self.at_word("in"):
            op = self.next().text
        elif self.at_word("not") and self.peek().kind == "name" and self.peek().text == "in":
            self.next(), self.next()
            op = "not in"
        elif self.at("="):
            raise MeasureError(tok.offset, "'=' is not a comparison", "did you mean '=='?")
        else:
            raise self.fail(tok, f"a comparison (==, !=, <, <=, >, >=, in) after "
                            f"{column.text!r}")
        if op in ("in", "not in"):
            value = self.literal_list(op)
        else:
            if self.at("["):
                raise MeasureError(self.tok.offset, f"a list cannot be compared with {op!r}",
                                   f"write {column.text} in [...]")
            value = self.literal()
        start = source.offset if source else column.offset
        return Cond(column, op, value, source, start, value.end)

    def literal_list(self, op: str) -> LiteralList:
        opener = self.tok
        if not self.at("["):
            raise self.fail(opener, f"a list after {op!r}", "e.g. in [1, 2, 3]")
        self.next()
        if self.at("]"):
            raise MeasureError(self.tok.offset, f"empty list after {op!r}")
        items = [self.literal()]
        while self.at(","):
            self.next()
            items.append(self.literal())
        close = self.close(opener, "]", "',' or ']'")
        return LiteralList(tuple(items), opener.offset, close.end)

    def literal(self) -> Literal:
        tok = self.tok
        if tok.kind == "string":
            self.next()
            return Literal(tok.value, tok.offset, tok.end)
        if tok.kind == "number":
            self.next()
            return Literal(tok.value, tok.offset, tok.end)
        if self.at("-") and self.peek().kind == "number":
            self.next()
            num = self.next()
            return Literal(-num.value, tok.offset, num.end)
        if self.at_word("true") or self.at_word("false"):
            self.next()
            return Literal(tok.text == "true", tok.offset, tok.end)
        if tok.kind == "name" and tok.text in POSITIONS:
            self.next()   # the first / last value of an ordered axis, e.g. checkpoint == last
            return Literal(tok.text, tok.offset, tok.end, position=True)
        expected = 'a value (a number, a "string", true, false, first or last)'
        if tok.kind == "name":
            hint = ("did you mean " + repr(tok.text.lower()) + "?"
                    if tok.text.lower() in ("true", "false") else f'quote strings: "{tok.text}"')
            raise MeasureError(tok.offset, f"expected {expected}, got {tok.text!r}", hint)
        raise self.fail(tok, expected)
