"""The syntax tree of a `measure:`, and what it reads.

Nodes are frozen dataclasses. `offset`/`end` (0-based character offsets into the
measure's text; a parenthesised expression spans its parentheses) take no part in
`==`, so two measures that differ only in spacing compare equal, and tests can
build expected trees without offsets.

Shape, for an evaluator:

    Measure(expr)                         the whole `measure:`
    expr := Number | Unary | BinOp | Apply | Call | Filtered
    Apply(func, operand)                  abs / log / exp, elementwise
    Call(func, args: (Arg | Per, ...), kwargs: (Kwarg, ...))
    Arg(column: Column, by: (Name, ...), where: Where | None, expr: row expression | None)
    Per(expr, key: Name)                  `<expr> per key`: a series, expr (one or more calls)
                                          evaluated on the rows of each value of `key`; only
                                          as the argument of a summary (max, argmax, ...)
    row expression := Column | Number | Unary | BinOp | Apply   (columns of one table)
    Filtered(expr, where)                 `<expr> where ...`: filters every table read in expr
    Where(conds: (Cond, ...))             conditions joined by `and`
    Cond(column: Name, op, value: Literal | LiteralList, source: Name | None)

A call's arguments are columns, or arithmetic on the columns of one table row by row:
aggregates (`mean`) reduce one column to a number, statistics (`spearman`) compare columns. `by` first groups the column by
its key columns (mean per group); the arguments of a paired statistic are then
joined on their keys, in order (`by UID` joins with `by Condition`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union

_pos = dict(default=0, compare=False)


@dataclass(frozen=True)
class Name:
    text: str
    offset: int = field(**_pos)

    @property
    def end(self) -> int:
        return self.offset + len(self.text)


@dataclass(frozen=True)
class Column:
    """`source.column`: a column of a stage's table or of a data source."""

    source: str
    column: str
    offset: int = field(**_pos)          # of `source`
    column_offset: int = field(**_pos)   # of `column`

    @property
    def end(self) -> int:
        return self.column_offset + len(self.column)


@dataclass(frozen=True)
class Number:
    value: int | float
    offset: int = field(**_pos)
    end: int = field(**_pos)


POSITIONS = ("first", "last")


@dataclass(frozen=True)
class Literal:
    """A value in a `where` condition: a string, number, true/false, or a position on an
    ordered axis (`where checkpoint == last`: `value` "last", `kind` "position")."""

    value: str | int | float | bool
    offset: int = field(**_pos)
    end: int = field(**_pos)
    position: bool = False
    # Part of `==` so that `true` never equals `1` (Python's True == 1).
    kind: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        kind = ("position" if self.position else "bool" if isinstance(self.value, bool) else
                "string" if isinstance(self.value, str) else "number")
        object.__setattr__(self, "kind", kind)


@dataclass(frozen=True)
class LiteralList:
    """`[1, 2, 3]`, the right-hand side of `in` / `not in`."""

    items: tuple[Literal, ...]
    offset: int = field(**_pos)
    end: int = field(**_pos)


COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")


@dataclass(frozen=True)
class Cond:
    """`column op value`. `source` is set when written `source.column`: the condition
    then filters only that source's tables."""

    column: Name
    op: str                               # one of COMPARISONS
    value: Literal | LiteralList
    source: Name | None = None
    offset: int = field(**_pos)
    end: int = field(**_pos)


@dataclass(frozen=True)
class Where:
    conds: tuple[Cond, ...]
    offset: int = field(**_pos)           # of the `where` keyword
    end: int = field(**_pos)


@dataclass(frozen=True)
class Apply:
    """`abs(x)`, `log(x)`, `exp(x)`: elementwise, on a measure's value or, inside a call,
    on each row (`mean(log(score.ppl))`)."""

    func: Name
    operand: "Expr"
    offset: int = field(**_pos)
    end: int = field(**_pos)


ELEMENTWISE = ("abs", "log", "exp")


@dataclass(frozen=True)
class Arg:
    """One argument of a call: a column, or (`expr`) arithmetic on columns of one table,
    row by row (`score.logp_good - score.logp_bad`); `column` is then its first column,
    which names the table."""

    column: Column
    by: tuple[Name, ...] = ()
    where: Where | None = None
    offset: int = field(**_pos)
    end: int = field(**_pos)
    expr: "Expr | None" = None

    @property
    def columns(self) -> tuple[Column, ...]:
        """Every column the argument's value reads, in text order."""
        if self.expr is None:
            return (self.column,)
        return tuple(n for n in walk(self.expr) if isinstance(n, Column))


@dataclass(frozen=True)
class Per:
    """`pearson(a.x by item, b.y by item) per checkpoint`: the expression evaluated
    separately on the rows of each value of `key` (a column), making a series over the
    key's values, which the enclosing summary function reduces (max, argmax,
    first_reaching ...). `key` filters every table read in `expr` that has the column;
    a table without it (a human reference) is read whole in every slice."""

    expr: "Expr"
    key: Name
    offset: int = field(**_pos)
    end: int = field(**_pos)

    # An Arg's grouping and filter: a series has neither (its key is `key`; a where
    # belongs to its expression), so code reading any argument's `by` sees none.
    by = ()
    where = None


@dataclass(frozen=True)
class Kwarg:
    """`between=condition` (value a Name: a column) or `chance=0.333` (a Number)."""

    name: Name
    value: Name | Number
    offset: int = field(**_pos)
    end: int = field(**_pos)


@dataclass(frozen=True)
class Call:
    func: Name
    args: tuple["Arg | Per", ...]
    kwargs: tuple[Kwarg, ...] = ()
    offset: int = field(**_pos)
    end: int = field(**_pos)

    def kwarg(self, name: str) -> Name | Number | None:
        return next((k.value for k in self.kwargs if k.name.text == name), None)


@dataclass(frozen=True)
class Unary:
    op: str                               # "-"
    operand: "Expr"
    offset: int = field(**_pos)
    end: int = field(**_pos)


@dataclass(frozen=True)
class BinOp:
    op: str                               # "+" | "-" | "*" | "/"
    left: "Expr"
    right: "Expr"
    offset: int = field(**_pos)
    end: int = field(**_pos)


@dataclass(frozen=True)
class Filtered:
    expr: "Expr"
    where: Where
    offset: int = field(**_pos)
    end: int = field(**_pos)


Expr = Union[Number, Unary, BinOp, Call, Filtered, Apply, Column]
Node = Union[Expr, Name, Literal, LiteralList, Cond, Where, Arg, Per, Kwarg]


@dataclass(frozen=True)
class Measure:
    expr: Expr
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        from .measure_format import format_measure
        return format_measure(self)


def walk(node: "Node | Measure") -> Iterator["Node"]:
    """Every node under `node` (itself included, except a Measure), in text order."""
    if isinstance(node, Measure):
        yield from walk(node.expr)
        return
    yield node
    children: tuple = ()
    if isinstance(node, Unary):
        children = (node.operand,)
    elif isinstance(node, Apply):
        children = (node.func, node.operand)
    elif isinstance(node, BinOp):
        children = (node.left, node.right)
    elif isinstance(node, Filtered):
        children = (node.expr, node.where)
    elif isinstance(node, Call):
        children = (node.func, *node.args, *node.kwargs)
    elif isinstance(node, Arg):
        children = ((node.expr if node.expr is not None else node.column), *node.by) + \
            ((node.where,) if node.where else ())
    elif isinstance(node, Per):
        children = (node.expr, node.key)
    elif isinstance(node, Kwarg):
        children = (node.name, node.value)
    elif isinstance(node, Where):
        children = node.conds
    elif isinstance(node, Cond):
        children = ((node.source,) if node.source else ()) + (node.column, node.value)
    elif isinstance(node, LiteralList):
        children = node.items
    for child in children:
        yield from walk(child)


def series_args(node: "Node | Measure") -> list[Per]:
    """Every `... per key` under `node`, outermost first."""
    return [n for n in walk(node) if isinstance(n, Per)]


def calls(node: "Node | Measure") -> list[Call]:
    return [n for n in walk(node) if isinstance(n, Call)]


def sources(node: "Node | Measure") -> list[Name]:
    """Each `source` of a `source.column` argument, as a Name, in text order."""
    return [Name(n.source, n.offset) for n in walk(node) if isinstance(n, Column)]


@dataclass(frozen=True)
class ColumnUse:
    """One column the measure reads. `offset` points at the column's name where it
    is written; `source_offset` at the `source` it is attributed to."""

    source: str
    column: str
    offset: int
    role: str                             # "value" | "by" | "where" | "kwarg" | "per"
    source_offset: int = 0


def column_uses(measure: "Measure | Node") -> list[ColumnUse]:
    """Every (source, column) the measure reads, in text order.

    `by` and argument-level `where` columns belong to their argument's source; a
    column kwarg (`between=condition`) to every source of its call; a `where` after
    an expression to every source read inside it (or only to `source` when the
    condition is written `source.column`); a `per` key to every source read inside its
    series (it must be a column of at least one of them).
    """
    expr = measure.expr if isinstance(measure, Measure) else measure
    uses: list[ColumnUse] = []
    _uses(expr, uses)
    return uses


def _uses(node: "Node", out: list[ColumnUse]) -> None:
    if isinstance(node, (Unary, Apply)):
        _uses(node.operand, out)
    elif isinstance(node, BinOp):
        _uses(node.left, out)
        _uses(node.right, out)
    elif isinstance(node, Filtered):
        _uses(node.expr, out)
        _where_uses(node.where, _distinct_sources(node.expr), out)
    elif isinstance(node, Call):
        for arg in node.args:
            if isinstance(arg, Per):
                _uses(arg.expr, out)
                for src in _distinct_sources(arg.expr):
                    out.append(ColumnUse(src.text, arg.key.text, arg.key.offset, "per", src.offset))
                continue
            col = arg.column
            for c in arg.columns:
                out.append(ColumnUse(c.source, c.column, c.column_offset, "value", c.offset))
            for key in arg.by:
                out.append(ColumnUse(col.source, key.text, key.offset, "by", col.offset))
            if arg.where:
                _where_uses(arg.where, [Name(col.source, col.offset)], out)
        for kw in node.kwargs:
            if isinstance(kw.value, Name):
                for src in _distinct_sources(node):
                    out.append(ColumnUse(src.text, kw.value.text, kw.value.offset, "kwarg", src.offset))


def _where_uses(where: Where, scope: list[Name], out: list[ColumnUse]) -> None:
    for cond in where.conds:
        targets = [cond.source] if cond.source else scope
        for src in targets:
            out.append(ColumnUse(src.text, cond.column.text, cond.column.offset, "where", src.offset))


def _distinct_sources(node: "Node") -> list[Name]:
    """Sources read under `node`, each once, at its first mention."""
    seen: dict[str, Name] = {}
    for name in sources(node):
        seen.setdefault(name.text, name)
    return list(seen.values())
