"""Print a measure's syntax tree as canonical text (for reports and the lock).

`parse_measure(format_measure(m)) == m` for every tree the parser produces: one
space around binary operators and comparisons, parentheses only where the
precedence needs them, strings in double quotes.
"""
from __future__ import annotations

from .measure_ast import (Apply, Arg, BinOp, Call, Column, Cond, Filtered, Kwarg, Literal,
                          LiteralList, Measure, Name, Number, Per, Unary, Where)

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}
_UNARY, _ATOM = 3, 4


def format_measure(node) -> str:
    if isinstance(node, Measure):
        return format_measure(node.expr)
    if isinstance(node, Filtered):
        inner = _wrap(node.expr, isinstance(node.expr, Filtered))
        return f"{inner} {format_measure(node.where)}"
    if isinstance(node, BinOp):
        prec = _PREC[node.op]
        left = _wrap(node.left, _prec(node.left) < prec)
        right = _wrap(node.right, _prec(node.right) <= prec)
        return f"{left} {node.op} {right}"
    if isinstance(node, Unary):
        return node.op + _wrap(node.operand, _prec(node.operand) < _UNARY)
    if isinstance(node, Apply):
        return f"{node.func.text}({format_measure(node.operand)})"
    if isinstance(node, Number):
        return _number(node.value)
    if isinstance(node, Call):
        items = [format_measure(a) for a in node.args] + [format_measure(k) for k in node.kwargs]
        return f"{node.func.text}({', '.join(items)})"
    if isinstance(node, Arg):
        text = format_measure(node.expr if node.expr is not None else node.column)
        if node.by:
            text += " by " + ", ".join(k.text for k in node.by)
        if node.where is not None:
            text += " " + format_measure(node.where)
        return text
    if isinstance(node, Per):
        return f"{format_measure(node.expr)} per {node.key.text}"
    if isinstance(node, Column):
        return f"{node.source}.{node.column}"
    if isinstance(node, Kwarg):
        return f"{node.name.text}={format_measure(node.value)}"
    if isinstance(node, Name):
        return node.text
    if isinstance(node, Where):
        return "where " + " and ".join(format_measure(c) for c in node.conds)
    if isinstance(node, Cond):
        column = (f"{node.source.text}." if node.source else "") + node.column.text
        return f"{column} {node.op} {format_measure(node.value)}"
    if isinstance(node, LiteralList):
        return "[" + ", ".join(format_measure(i) for i in node.items) + "]"
    if isinstance(node, Literal):
        return node.value if node.kind == "position" else _literal(node.value)
    raise TypeError(f"not a measure node: {node!r}")


def _prec(node) -> int:
    if isinstance(node, Filtered):
        return 0
    if isinstance(node, BinOp):
        return _PREC[node.op]
    if isinstance(node, Unary) or (isinstance(node, Number) and node.value < 0):
        return _UNARY
    return _ATOM


def _wrap(node, parens: bool) -> str:
    text = format_measure(node)
    return f"({text})" if parens else text


def _number(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value)
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\t", "\\t"))
    return f'"{escaped}"'
