"""Tokens of the `measure:`, `expect:` and `when:` mini-languages.

A hand-written scanner rather than Python's tokenizer or `eval`: a spec is data,
and every error must point at the exact character the researcher typed, with a
hint written for this language (not Python's).

Names are identifiers, `[A-Za-z_][A-Za-z0-9_]*`. Hyphens are not allowed in
names because `a-b` must stay a subtraction; stage and data names in a spec
follow the same rule, so `source.column` always tokenizes the same way.
"""
from __future__ import annotations

from dataclasses import dataclass

# Operators, longest first so that `<=` wins over `<`.
OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "=", "(", ")", "[", "]", ",", ".",
             "+", "-", "*", "/")

# Spellings from other languages, with what to write instead.
_FOREIGN = {
    "=>": ">=", "=<": "<=", "<>": "!=", "===": "==", "!==": "!=",
    "&&": "and", "||": "or", "**": None, "≥": ">=", "≤": "<=", "≠": "!=",
    "−": "-", "×": "*", "÷": "/", "&": "and", "|": "or", "!": "not",
}
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}


class MeasureError(ValueError):
    """A problem in a measure, threshold or gate, `offset` characters into its text."""

    def __init__(self, offset: int, message: str, hint: str | None = None):
        self.offset, self.message, self.hint = offset, message, hint
        super().__init__(message)

    def __str__(self) -> str:
        text = f"at character {self.offset}: {self.message}"
        return text + (f" (hint: {self.hint})" if self.hint else "")


@dataclass(frozen=True)
class Token:
    kind: str          # "name" | "number" | "string" | "op" | "end"
    text: str          # the characters as written (strings: with their quotes)
    offset: int
    end: int
    value: object = None   # numbers: int | float; strings: the unquoted text

    def describe(self) -> str:
        """How an error message names this token: `'where'`, `end of input` ..."""
        if self.kind == "end":
            return "end of input"
        if self.kind == "string":
            return f"string {self.text}"
        return repr(self.text)


def is_name_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def is_name_char(ch: str) -> bool:
    return is_name_start(ch) or ("0" <= ch <= "9")


def is_identifier(text: str) -> bool:
    return bool(text) and is_name_start(text[0]) and all(is_name_char(c) for c in text)


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with one `end` token at `len(text)`."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif is_name_start(ch):
            j = i + 1
            while j < n and is_name_char(text[j]):
                j += 1
            # `log-prob` glued together is a hyphenated name, never a subtraction:
            # a bare name is not an operand in this language.
            if j < n and text[j] == "-" and j + 1 < n and is_name_start(text[j + 1]):
                raise MeasureError(i, f"names cannot contain '-': {_word_at(text, i)!r}",
                                   "names are letters, digits and '_'; put spaces around "
                                   "'-' to subtract")
            tokens.append(Token("name", text[i:j], i, j))
            i = j
        elif "0" <= ch <= "9":
            tokens.append(_number(text, i))
            i = tokens[-1].end
        elif ch in _QUOTES:
            tokens.append(_string(text, i))
            i = tokens[-1].end
        else:
            tokens.append(_operator(text, i))
            i = tokens[-1].end
    tokens.append(Token("end", "", n, n))
    return tokens


def _word_at(text: str, i: int) -> str:
    j = i
    while j < len(text) and (is_name_char(text[j]) or text[j] == "-"):
        j += 1
    return text[i:j]


def scan_number(text: str, i: int) -> int:
    """End of the number literal starting at `i` (digits, fraction, exponent), or `i`."""
    n, j = len(text), i
    while j < n and text[j].isdigit() and text[j].isascii():
        j += 1
    if j == i:
        return i
    if j < n and text[j] == "." and not (j + 1 < n and is_name_start(text[j + 1])):
        j += 1
        while j < n and text[j].isdigit() and text[j].isascii():
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        start = k
        while k < n and text[k].isdigit() and text[k].isascii():
            k += 1
        if k == start:
            raise MeasureError(i, f"malformed number {text[i:k]!r}: the exponent has no digits",
                               "write e.g. 1e-3")
        j = k
    return j


def number_value(literal: str) -> int | float:
    """The value of a literal accepted by `scan_number` (float() is safe: no eval)."""
    if all(c.isdigit() for c in literal):
        return int(literal)
    return float(literal)


def _number(text: str, i: int) -> Token:
    j = scan_number(text, i)
    k = j
    while k < len(text) and (is_name_char(text[k]) or text[k] == "."):
        k += 1
    if k > j:
        hint = "write a fraction, e.g. 0.5 for 50%" if text[j] == "%" else None
        raise MeasureError(i, f"malformed number {text[i:k]!r}", hint)
    literal = text[i:j]
    return Token("number", literal, i, j, number_value(literal))


def _string(text: str, i: int) -> Token:
    close = _QUOTES[text[i]]
    if text[i] not in "\"'":
        raise MeasureError(i, f"typographic quote {text[i]!r}", 'use plain quotes: "..." or \'...\'')
    chars: list[str] = []
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == close:
            return Token("string", text[i:j + 1], i, j + 1, "".join(chars))
        if ch == "\\":
            nxt = text[j + 1] if j + 1 < len(text) else ""
            if nxt not in _ESCAPES:
                raise MeasureError(j, f"unknown escape '\\{nxt}' in a string",
                                   "escapes are \\\\, \\\", \\', \\n and \\t")
            chars.append(_ESCAPES[nxt])
            j += 2
            continue
        chars.append(ch)
        j += 1
    raise MeasureError(i, f"unterminated string: {close} never closes",
                       f"add a closing {close}")


def _operator(text: str, i: int) -> Token:
    # The longest match wins, so `!=` is an operator while `!==` and `=>` are errors.
    op = max((o for o in OPERATORS if text.startswith(o, i)), key=len, default="")
    foreign = max((f for f in _FOREIGN if text.startswith(f, i)), key=len, default="")
    if foreign and len(foreign) > len(op):
        instead = _FOREIGN[foreign]
        hint = f"did you mean {instead!r}?" if instead else "powers are not supported"
        if foreign in ("&", "&&", "||", "|"):
            hint = "combine conditions with 'and'; 'or' is not supported, use 'in [...]'"
        raise MeasureError(i, f"unknown operator {foreign!r}", hint)
    if op:
        return Token("op", op, i, i + len(op))
    ch = text[i]
    hint = "write a fraction, e.g. 0.5 for 50%" if ch == "%" else None
    raise MeasureError(i, f"unexpected character {ch!r}", hint)
