"""Parse a hypothesis's `measure:` into a syntax tree (see measure_ast.py).

A recursive-descent parser over measure_lexer's tokens; never Python's `eval`
or `ast`: a spec is data. Grammar (keywords: where by and or not in true false):

    measure := scoped END
    scoped  := expr ['where' conds]          a where filters every table read in expr
    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/') unary)*
    unary   := '-' unary | NUMBER | '(' scoped ')' | call
    call    := FUNC '(' item (',' item)* ')'      item := arg | series | NAME '=' (NAME | ['-'] NUMBER)
    arg     := source '.' column ['by' key (',' key)*] ['where' conds]   (by/where in either order)
    series  := call-led scoped 'per' key      only as the one argument of a function with a
                                              series summary (max, argmax, first_reaching ...)
    conds   := cond ('and' cond)*
    cond    := [source '.'] column op value   op := == != < <= > >= | in | not in
    value   := STRING | ['-'] NUMBER | true | false | '[' value (',' value)* ']'  (lists for in)

`by` keys continue after a comma as long as the next item is a bare name, so
`mean(mc.correct by model, seed)` groups by two keys while
`spearman(a.x by UID, b.y by Condition)` has two arguments.
Functions are checked against MEASURE_FUNCTIONS while parsing.
"""
from __future__ import annotations

from dataclasses import replace

from .errors import did_you_mean, names_hint
from .measure_ast import (ELEMENTWISE, Apply, Arg, BinOp, Call, Column, ColumnUse, Filtered, Kwarg,
                          Measure, Name, Number, Per, Unary, Where, calls, column_uses, sources, walk)
from .measure_format import format_measure
from .measure_functions import MEASURE_FUNCTIONS, MeasureFunction, check_call
from .measure_lexer import MeasureError
from .measure_where import COMPARE, KEYWORDS, TokenCursor

__all__ = ["parse_measure", "format_measure", "column_uses", "walk", "calls", "sources",
           "MeasureError", "ColumnUse", "MEASURE_FUNCTIONS", "MeasureFunction", "Measure"]

_MAX_DEPTH = 48            # nesting of ( and unary -, far beyond any real measure
_COLUMN = "a column like stage.column"


def parse_measure(text: str) -> Measure:
    """Parse `text`; raise MeasureError(offset, message, hint) on the first problem."""
    if not isinstance(text, str):
        raise MeasureError(0, f"a measure must be text, got {type(text).__name__} {text!r}",
                           "write e.g. measure: mean(score.correct)")
    if not text.strip():
        raise MeasureError(0, "empty measure; expected an expression like mean(stage.column)")
    return Measure(_Parser(text).measure(), text)


class _Parser(TokenCursor):
    def measure(self):
        expr = self.scoped()
        tok = self.tok
        if tok.kind == "end":
            return expr
        if tok.kind == "op" and tok.text in COMPARE:
            raise MeasureError(tok.offset, f"a measure computes a number; the comparison "
                               f"{tok.text!r} belongs in expect:",
                               f'move it: expect: "{tok.text} <threshold>"')
        if tok.text == ")":
            raise MeasureError(tok.offset, "unexpected ')' with no matching '('")
        if isinstance(expr, Filtered):
            raise self.fail(tok, "'and' or the end of the measure",
                            "a where filters the whole expression before it; put it last, "
                            "or inside an argument: mean(stage.column where ...)")
        raise self.fail(tok, "an operator (+, -, *, /), 'where' or the end of the measure")

    def scoped(self, series: bool = False):
        expr = self.expr()
        if not self.at_word("where"):
            self._no_per(series, expr)
            return expr
        where = self.where()
        scope = {s.text for s in sources(expr)}
        if not scope:
            raise MeasureError(where.offset, "this 'where' filters nothing: no column is read "
                               "before it", "a where follows a function call, e.g. "
                               "mean(score.correct) where checkpoint == 300")
        for cond in where.conds:
            if cond.source and cond.source.text not in scope:
                raise MeasureError(cond.source.offset, f"this condition filters "
                                   f"{cond.source.text!r}, but the expression before 'where' "
                                   f"reads only {', '.join(map(repr, sorted(scope)))}")
        if self.at_word("where"):
            raise MeasureError(self.tok.offset, "a second 'where'",
                               "join conditions with 'and': where a == 1 and b == 2")
        filtered = Filtered(expr, where, expr.offset, where.end)
        self._no_per(series, filtered)
        return filtered

    def _no_per(self, series: bool, expr) -> None:
        """`per` makes a series, which only a summary function's argument may be."""
        if self.at_word("per") and not series:
            key = self.peek().text if self.peek().kind == "name" else "checkpoint"
            raise MeasureError(self.tok.offset, "'per' makes a series (one value per value of a "
                               "column), and only a summary function's argument can be a series",
                               f"wrap it in a summary: max({format_measure(expr)} per {key}), "
                               f"argmax(...), first_reaching(..., level=<number>); summaries: "
                               + _series_functions())

    def expr(self):
        left = self.term()
        while self.at("+") or self.at("-"):
            op = self.next().text
            right = self.term()
            left = BinOp(op, left, right, left.offset, right.end)
        return left

    def term(self):
        left = self.unary()
        while self.at("*") or self.at("/"):
            op = self.next().text
            right = self.unary()
            left = BinOp(op, left, right, left.offset, right.end)
        return left

    def unary(self):
        tok = self.tok
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise MeasureError(tok.offset, f"the measure nests deeper than {_MAX_DEPTH} levels")
        try:
            if self.at("-"):
                self.next()
                operand = self.unary()
                return Unary("-", operand, tok.offset, operand.end)
            return self.primary()
        finally:
            self.depth -= 1

    def primary(self):
        tok = self.tok
        expected = "a function call like mean(stage.column), a number or '('"
        if tok.kind == "number":
            self.next()
            return Number(tok.value, tok.offset, tok.end)
        if self.at("("):
            self.next()
            inner = self.scoped()
            close = self.close(tok, ")", "')' or an operator (+, -, *, /)")
            return replace(inner, offset=tok.offset, end=close.end)  # span the parentheses
        if tok.kind == "string":
            raise MeasureError(tok.offset, f"unexpected {tok.describe()}; strings are values in "
                               "where conditions", "e.g. mean(score.correct) where model == \"tiny\"")
        if tok.kind != "name" or tok.text in KEYWORDS:
            raise self.fail(tok, expected)
        if tok.text in ELEMENTWISE and self.peek().text == "(" and self.peek().kind == "op":
            func = self.name("a function name")
            opener = self.next()
            inner = self.scoped()
            close = self.close(opener, ")", "')' or an operator (+, -, *, /)")
            return Apply(func, inner, func.offset, close.end)
        if self.peek().text == "(" and self.peek().kind == "op":
            return self.call()
        if self.peek().text == "." and self.peek().kind == "op":
            raise MeasureError(tok.offset, f"a column must be inside a function, e.g. "
                               f"mean({tok.text}.{self.peek(2).text})",
                               "columns are aggregated by a function such as mean, median, count")
        if tok.text in MEASURE_FUNCTIONS:
            raise MeasureError(tok.end, f"expected '(' after {tok.text!r}",
                               f"write {tok.text}(stage.column)")
        raise self.fail(tok, expected, did_you_mean(tok.text, MEASURE_FUNCTIONS))

    # -- calls -----------------------------------------------------------------------
    def call(self) -> Call:
        func = self.name("a function name")
        if func.text not in MEASURE_FUNCTIONS:
            raise MeasureError(func.offset, f"unknown function {func.text!r}",
                               names_hint(func.text, MEASURE_FUNCTIONS))
        spec = MEASURE_FUNCTIONS.get(func.text)
        opener = self.next()
        args: list[Arg] = []
        kwargs: list[Kwarg] = []
        while True:
            if self.tok.kind == "name" and self.peek().text == "=" and self.peek().kind == "op":
                kwargs.append(self.kwarg(spec, kwargs))
            elif kwargs:
                raise MeasureError(self.tok.offset, "a column after a keyword argument",
                                   f"put columns first: {spec.signature()}")
            else:
                args.append(self.arg(spec))
            if not self.at(","):
                break
            self.next()
        self.close(opener, ")", _after_item(args, kwargs))
        node = Call(func, tuple(args), tuple(kwargs), func.offset, self.end_of_previous())
        check_call(node, spec)
        return node

    def kwarg(self, spec: MeasureFunction, given: list[Kwarg]) -> Kwarg:
        name = self.name("a keyword argument")
        if name.text not in spec.kwargs:
            hint = (names_hint(name.text, spec.kwargs) if spec.kwargs
                    else f"{spec.name} takes no keyword arguments: {spec.signature()}")
            raise MeasureError(name.offset, f"{spec.name} has no argument {name.text!r}", hint)
        if any(k.name.text == name.text for k in given):
            raise MeasureError(name.offset, f"{name.text}= is given twice")
        self.next()  # '='
        tok = self.tok
        kind = spec.kwargs[name.text]
        if kind == "number":
            neg = self.at("-")
            num = self.peek() if neg else tok
            if num.kind != "number":
                got = num.describe() if neg else tok.describe()
                raise MeasureError(tok.offset, f"{name.text}= must be a number, got {got}")
            self.next()
            if neg:
                self.next()
            value = Number(-num.value if neg else num.value, tok.offset, num.end)
        else:
            if tok.kind != "name" or tok.text in KEYWORDS:
                raise MeasureError(tok.offset, f"{name.text}= must name a column, "
                                   f"got {tok.describe()}", f"e.g. {name.text}=condition")
            if self.peek().text == "." and self.peek().kind == "op":
                raise MeasureError(tok.offset, f"{name.text}= names a column of the arguments' "
                                   f"table, without a source", f"write {name.text}={self.peek(2).text}")
            value = self.name("a column name")
        return Kwarg(name, value, name.offset, self.end_of_previous())

    def arg(self, spec: MeasureFunction) -> Arg | Per:
        start = self.tok
        if start.kind == "name" and start.text in MEASURE_FUNCTIONS and \
                self.peek().kind == "op" and self.peek().text == "(":
            if spec.series is None:
                raise MeasureError(start.offset, f"{spec.name}'s arguments are columns, not a call "
                                   f"to {start.text!r}; expected {_COLUMN}",
                                   "combine function results outside the calls: mean(a.x) - mean(b.x); "
                                   "a series (... per key) is summarised by " + _series_functions())
            return self.series(spec)
        if spec.series is not None and (self.at("(") or self.at("-") or start.kind == "number" or (
                start.kind == "name" and start.text in ELEMENTWISE)):
            series = self._maybe_series(spec)   # `abs(mean(a.x) - mean(a.y)) per checkpoint`
            if series is not None:
                return series
        value = self.row_expr(spec)
        columns = [n for n in walk(value) if isinstance(n, Column)]
        if not columns:
            hint = None
            numbers = [k for k, kind in spec.kwargs.items() if kind == "number"]
            if start.kind == "number" and len(numbers) == 1:
                hint = f"name it: {numbers[0]}={start.text}"
            raise MeasureError(start.offset, f"unexpected {start.describe()}; expected {_COLUMN}", hint)
        column = columns[0]
        for other in columns[1:]:
            if other.source != column.source:
                raise MeasureError(other.offset, f"arithmetic inside {spec.name}(...) combines the "
                                   f"columns of one table row by row, but {column.source!r} and "
                                   f"{other.source!r} are different tables (no join)",
                                   f"combine their summaries instead: {spec.name}({column.source}."
                                   f"{column.column}) - {spec.name}({other.source}.{other.column}), "
                                   "or pair them on keys: spearman(a.x by key, b.y by key)")
        expr = None if isinstance(value, Column) else value
        by: tuple[Name, ...] = ()
        where: Where | None = None
        by_seen = False
        while self.at_word("by") or self.at_word("where"):
            if self.at_word("by"):
                if by_seen:
                    raise MeasureError(self.tok.offset, "'by' is given twice in one argument",
                                       "list every key after one 'by': by model, seed")
                by, by_seen = self.keys(), True
            else:
                if where is not None:
                    raise MeasureError(self.tok.offset, "a second 'where' in one argument",
                                       "join conditions with 'and': where a == 1 and b == 2")
                where = self.where()
                for cond in where.conds:
                    if cond.source and cond.source.text != column.source:
                        raise MeasureError(cond.source.offset, f"this condition filters "
                                           f"{cond.source.text!r}, but the argument reads "
                                           f"{column.source!r}", f"write {cond.column.text} "
                                           "without a source, or move it to the argument that "
                                           f"reads {cond.source.text}")
        if self.at_word("per"):
            raise MeasureError(self.tok.offset, f"'per' follows a function call (a series of its "
                               f"values); a column is grouped with 'by'",
                               f"e.g. {spec.name}({format_measure(value)} by {self.peek().text}), or "
                               + _series_example())
        return Arg(column, by, where, start.offset, self.end_of_previous(), expr)

    def _maybe_series(self, spec: MeasureFunction) -> Per | None:
        """A series whose expression starts with '(', '-', a number or abs/log/exp, when what
        follows parses as one with a call inside and 'per' after it; else None, and the
        argument is read again as row arithmetic (whose errors are the ones to show)."""
        mark, depth = self.i, self.depth
        try:
            inner = self.scoped(series=True)
        except MeasureError:
            inner = None
        if inner is not None and self.at_word("per") and any(isinstance(n, Call) for n in walk(inner)):
            self.i, self.depth = mark, depth
            return self.series(spec)
        self.i, self.depth = mark, depth
        return None

    def series(self, spec: MeasureFunction) -> Per:
        """`pearson(a.x by item, b.y by item) per checkpoint` inside a summary's parentheses."""
        start = self.tok
        inner = self.scoped(series=True)
        if not self.at_word("per"):
            raise MeasureError(start.offset, f"a call inside {spec.name}(...) is a series only "
                               "with 'per <column>' after it", f"e.g. {spec.name}("
                               f"{format_measure(inner)} per checkpoint), or combine function "
                               "results outside the calls: mean(a.x) - mean(b.x)")
        per = self.next()
        if self.tok.kind != "name" or self.tok.text in KEYWORDS:
            raise MeasureError(per.offset, "'per' needs one key column", "e.g. per checkpoint")
        key = self.name("a key column")
        if self.at("."):
            raise MeasureError(key.offset, "a 'per' key is a column of the tables the series reads",
                               f"write per {self.peek().text}")
        if self.at(",") and self.peek().kind == "name" and self.peek(2).text not in ("=", ".", "("):
            raise MeasureError(self.peek().offset, "'per' takes one key column",
                               "nest the summaries instead: max(mean(x.y by seed) per model)")
        if self.at_word("by") or self.at_word("where") or self.at_word("per"):
            raise MeasureError(self.tok.offset, f"{self.tok.text!r} after a series' 'per' key",
                               "a series has one key and ends there; group or filter inside it, "
                               "e.g. max(mean(x.y by seed) where layer == 2 per condition)")
        return Per(inner, key, start.offset, key.end)

    # -- row expressions (inside a call) ----------------------------------------------
    def row_expr(self, spec: MeasureFunction):
        left = self.row_term(spec)
        while self.at("+") or self.at("-"):
            op = self.next().text
            right = self.row_term(spec)
            left = BinOp(op, left, right, left.offset, right.end)
        return left

    def row_term(self, spec: MeasureFunction):
        left = self.row_unary(spec)
        while self.at("*") or self.at("/"):
            op = self.next().text
            right = self.row_unary(spec)
            left = BinOp(op, left, right, left.offset, right.end)
        return left

    def row_unary(self, spec: MeasureFunction):
        tok = self.tok
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise MeasureError(tok.offset, f"the measure nests deeper than {_MAX_DEPTH} levels")
        try:
            if self.at("-"):
                self.next()
                operand = self.row_unary(spec)
                return Unary("-", operand, tok.offset, operand.end)
            if tok.kind == "number":
                self.next()
                return Number(tok.value, tok.offset, tok.end)
            if self.at("("):
                self.next()
                inner = self.row_expr(spec)
                close = self.close(tok, ")", "')' or an operator (+, -, *, /)")
                return replace(inner, offset=tok.offset, end=close.end)
            if tok.kind == "name" and tok.text in ELEMENTWISE and self.peek().text == "(":
                func = self.name("a function name")
                opener = self.next()
                inner = self.row_expr(spec)
                close = self.close(opener, ")", "')' or an operator (+, -, *, /)")
                return Apply(func, inner, func.offset, close.end)
            return self.column(spec)
        finally:
            self.depth -= 1

    def column(self, spec: MeasureFunction) -> Column:
        tok = self.tok
        if tok.kind == "name" and tok.text not in KEYWORDS:
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text == "(":
                raise MeasureError(tok.offset, f"{spec.name}'s arguments are columns, not a call "
                                   f"to {tok.text!r}; expected {_COLUMN}",
                                   "combine function results outside the calls: "
                                   "mean(a.x) - mean(b.x)")
            if not (nxt.kind == "op" and nxt.text == "."):
                raise MeasureError(tok.offset, f"expected {_COLUMN}, got {tok.text!r}",
                                   f"name the table it comes from: <stage>.{tok.text}")
            source = self.name("a source name")
            self.next()  # '.'
            if self.tok.kind != "name":
                raise MeasureError(self.tok.offset, f"expected a column name after "
                                   f"'{source.text}.', got {self.tok.describe()}")
            col = self.name("a column name")
            if self.at("."):
                raise MeasureError(self.tok.offset, "a column is source.column, with one dot")
            return Column(source.text, col.text, source.offset, col.offset)
        hint = None
        numbers = [k for k, kind in spec.kwargs.items() if kind == "number"]
        if tok.kind == "number" and len(numbers) == 1:
            hint = f"name it: {numbers[0]}={tok.text}"
        raise self.fail(tok, _COLUMN, hint)

    def keys(self) -> tuple[Name, ...]:
        by = self.next()
        if self.tok.kind != "name" or self.tok.text in KEYWORDS:
            raise MeasureError(by.offset, "'by' needs at least one key column",
                               "e.g. by UID, or by model, seed")
        keys = [self._key()]
        # A comma continues the keys only before a bare name: `by model, seed`, but not
        # `by UID, humans.total_mean` (next argument) or `, between=...` (a kwarg).
        while self.at(",") and self.peek().kind == "name" and self.peek().text not in KEYWORDS \
                and not (self.peek(2).kind == "op" and self.peek(2).text in ".(="):
            self.next()
            keys.append(self._key())
        return tuple(keys)

    def _key(self) -> Name:
        key = self.name("a key column")
        if self.at("."):
            raise MeasureError(key.offset, "a 'by' key is a column of the argument's own table",
                               f"write by {self.peek().text}")
        return key


def _series_functions() -> str:
    names = [n for n, f in MEASURE_FUNCTIONS.items() if f.series is not None]
    return ", ".join(names)


def _series_example() -> str:
    return "max(pearson(a.x by item, b.y by item) per checkpoint)"


def _after_item(args: list[Arg], kwargs: list[Kwarg]) -> str:
    """What may follow the last item of a call, for 'expected ...' messages."""
    options = []
    last = args[-1] if args and not kwargs else None
    if last is not None and not isinstance(last, Per):
        if last.where is not None and last.where.end == last.end:
            options.append("'and'")
        if not last.by:
            options.append("'by'")
        if last.where is None:
            options.append("'where'")
    return ", ".join(options + ["','"]) + " or ')'"
