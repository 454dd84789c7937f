"""Load YAML safely, keeping the line and column of every key and value.

Why not `yaml.safe_load`: it forgets positions, accepts YAML 1.1 booleans
(`no` -> False, the "Norway problem") and YAML 1.1 numbers (`010` -> 8 in octal,
`3:1` -> 181 in base 60), silently keeps the last of duplicate keys, and expands
aliases without bound (a "billion laughs" file exhausts memory). Here we compose
the node tree ourselves (nesting bounded before Python's recursion limit), resolve
scalars by the YAML 1.2 core schema, construct plain Python values from it, and
record a `SourceMap` from key paths to positions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic, SpecErrors

MAX_BYTES = 4 * 1024 * 1024      # a spec is a plan, not a data set
MAX_NODES = 200_000              # after alias expansion
MAX_DEPTH = 64                   # also stops self-referential aliases
# Integers a spec may hold: 64-bit signed. Seeds, steps and sizes all fit; a 5,000-digit
# number is a mistake or an attack (Python refuses to parse more than 4,300 digits anyway).
MAX_INT = 2**63 - 1

_STR, _INT, _FLOAT, _BOOL, _NULL, _TS = (
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_MAP, _SEQ, _MERGE = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader resolving plain scalars by the YAML 1.2 core schema, with bounded nesting.

    Booleans are only true/false; integers are decimal (`010` is 10), `0o17` or `0x1F`
    (never YAML 1.1 octal `010`, binary or base-60 `3:1`, which stay strings); floats are
    decimal with an optional exponent (`1e3`) or .inf/.nan. Underscores between digits
    (`1_000`) are kept from YAML 1.1: they mean what they say.
    """

    depth = 0

    def compose_node(self, parent, index):
        # PyYAML composes recursively: 500 nested `[` would end in a RecursionError.
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeepText(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_INT_RX = re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$")
_FLOAT_RX = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list(_first))
# An int wins over a float: resolvers are tried in the order they were added.
_Loader.add_implicit_resolver(_INT, _INT_RX, list("-+0123456789"))
_Loader.add_implicit_resolver(_FLOAT, _FLOAT_RX, list("-+0123456789."))


_PLAIN = "specs hold plain data: strings, numbers, booleans, lists and mappings"


def yaml12_int(text: str) -> int:
    """A YAML 1.2 core integer (plus digit-separating underscores); ValueError when it is
    not one or lies outside 64 bits."""
    if not _INT_RX.match(text):
        raise ValueError(f"{text!r} is not a YAML 1.2 integer")
    t = text.replace("_", "")
    if t[:2] in ("0o", "0x"):
        value = int(t[2:], 8 if t[1] == "o" else 16) if len(t) <= 20 else MAX_INT + 1
    else:
        digits = t.lstrip("+-")
        value = int(t, 10) if len(digits.lstrip("0")) <= 19 else MAX_INT + 1
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class Pos:
    key: tuple[int, int] | None   # where the mapping key is (1-based line, col)
    value: tuple[int, int]        # where the value starts
    quote: int = 0                # 1 when the value is a one-line quoted scalar
    inline: bool = True           # a one-line scalar: offsets into it are exact


class SourceMap:
    """Maps a key path such as ("stages", "pretrain", "steps") to its position."""

    def __init__(self) -> None:
        self.entries: dict[tuple, Pos] = {(): Pos(None, (1, 1))}

    def locate(self, path: tuple, at: str = "value", offset: int | None = None) -> tuple[int, int]:
        """Position of a key or value; `offset` points inside a one-line scalar's text."""
        path = tuple(path)
        exact = path
        while exact not in self.entries:
            exact = exact[:-1]
        pos = self.entries[exact]
        if exact != path:  # a missing key: point at the mapping that should hold it
            return pos.key or pos.value
        if at == "key" and pos.key:
            return pos.key
        line, col = pos.value
        if offset is not None and pos.inline:
            col += pos.quote + offset
        return line, col

    def copy_subtree(self, src: tuple, dst: tuple) -> None:
        """Positions of an overriding value (a profile entry) replace the overridden ones."""
        n = len(src)
        for p in [p for p in self.entries if p[: len(dst)] == dst and len(p) > len(dst)]:
            del self.entries[p]
        for p, pos in list(self.entries.items()):
            if p[:n] == src:
                self.entries[dst + p[n:]] = pos


def _at(mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.map = SourceMap()
        self.problems: list[Diagnostic] = []
        self.nodes = 0
        self._scalars = yaml.constructor.SafeConstructor()

    def problem(self, mark, message: str, hint: str | None = None) -> None:
        line, col = _at(mark)
        self.problems.append(Diagnostic(self.file, line, col, message, hint))

    def build(self, node, path: tuple, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(node)
        if depth > MAX_DEPTH:
            raise _TooDeep(node)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self.problem(node.start_mark, f"YAML tag {node.tag!r} is not allowed in a spec", _PLAIN)
            return [self.child(item, path + (i,), None, depth) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def child(self, node, path, key_mark, depth):
        inline = node.start_mark.line == node.end_mark.line
        style = getattr(node, "style", None) if isinstance(node, yaml.ScalarNode) else None
        quote = 1 if style in ("'", '"') else 0
        self.map.entries[path] = Pos(_at(key_mark) if key_mark else None, _at(node.start_mark),
                                     quote, inline and style not in ("|", ">"))
        return self.build(node, path, depth + 1)

    def mapping(self, node, path, depth) -> dict:
        if node.tag != _MAP:
            self.problem(node.start_mark, f"YAML tag {node.tag!r} is not allowed in a spec", _PLAIN)
        own = {id(k) for k, _ in node.value if k.tag != _MERGE}
        try:
            self._scalars.flatten_mapping(node)   # resolves `<<: *anchor` merge keys
        except yaml.MarkedYAMLError as exc:
            self.problem(exc.problem_mark or node.start_mark, str(exc.problem))
        out: dict[str, Any] = {}
        explicit: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node.start_mark, "a key must be a plain name, not a list or mapping")
                continue
            key = key_node.value  # the key as written: `on:` stays "on", `1e3:` stays "1e3"
            # Merged keys (`<<: *a`) override each other silently, and explicit keys override
            # merged ones, as YAML says; an explicit key written twice is a mistake.
            if key in explicit and id(key_node) in own:
                self.problem(key_node.start_mark, f"duplicate key {key!r}",
                             "each key may appear once; YAML would silently keep the last one")
                continue
            if id(key_node) in own:
                explicit.add(key)  # an explicit key overrides one merged in by `<<`
            out[key] = self.child(value_node, path + (key,), key_node.start_mark, depth)
        return out

    def scalar(self, node) -> Any:
        tag = node.tag
        if tag == _STR or tag == _TS:  # dates stay strings: a spec has no use for datetime objects
            return node.value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return node.value.lower() == "true"
        if tag == _INT:
            try:
                return yaml12_int(node.value)
            except ValueError as exc:
                if "YAML 1.2" in str(exc):
                    self.problem(node.start_mark, f"{exc}", "write a decimal integer like 10, or 0o17 / 0x1F")
                    return 0
                shown = node.value if len(node.value) <= 24 else f"{node.value[:12]}…({len(node.value)} characters)"
                self.problem(node.start_mark, f"integer {shown} does not fit in 64 bits",
                             f"integers in a spec lie between -2**63 and 2**63-1; quote it to keep it as text")
                return 0
        if tag == _FLOAT:
            return self._scalars.construct_yaml_float(node)
        self.problem(node.start_mark, f"YAML tag {tag!r} is not allowed in a spec", _PLAIN)
        return node.value


class _TooBig(Exception):
    def __init__(self, node):
        self.node = node


class _TooDeep(_TooBig):
    pass


class _TooDeepText(yaml.YAMLError):
    """Raised while composing: the text itself nests deeper than MAX_DEPTH."""

    def __init__(self, mark):
        super().__init__("too deep")
        self.mark = mark


def _syntax_hint(exc: yaml.MarkedYAMLError, text: str) -> str | None:
    problem = str(exc.problem or "")
    if "'\\t'" in problem or "\t" in problem:
        return "indent with spaces; YAML does not allow tabs"
    ctx = exc.context_mark
    lines = text.splitlines()
    if ctx is not None and exc.context and ("flow mapping" in exc.context or "flow sequence" in exc.context):
        opened = "{" if "mapping" in exc.context else "["
        near = lines[ctx.line] if ctx.line < len(lines) else ""
        if "${" in near:
            return 'inside [ ] or { }, quote axis placeholders: write "${name}"'
        return f"the {opened!r} at line {ctx.line + 1}, column {ctx.column + 1} is never closed"
    mark = exc.problem_mark
    if mark is not None and mark.line < len(lines) and "${" in lines[mark.line]:
        return 'inside [ ] or { }, quote axis placeholders: write "${name}"'
    return None


def load_yaml_text(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain data and a SourceMap; raise SpecErrors on any problem."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise SpecErrors([Diagnostic(file, 1, 1, f"spec is larger than {MAX_BYTES // 1024 // 1024} MiB",
                                     "keep data in data files and reference them from the spec")])
    builder = _Builder(file)
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except _TooDeepText as exc:
        raise SpecErrors([Diagnostic(file, *_at(exc.mark), f"spec nests deeper than {MAX_DEPTH} levels",
                                     "a spec is a plan: flatten the structure")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _at(mark) if mark else (1, 1)
        message = f"invalid YAML: {exc.problem or exc.context}"
        raise SpecErrors([Diagnostic(file, line, col, message, _syntax_hint(exc, text))]) from None
    except yaml.YAMLError as exc:
        raise SpecErrors([Diagnostic(file, 1, 1, f"invalid YAML: {exc}")]) from None
    if root is None:
        raise SpecErrors([Diagnostic(file, 1, 1, "spec is empty", "start with `specc: 1`")])
    builder.map.entries[()] = Pos(None, _at(root.start_mark))  # file-level problems: the first key
    try:
        data = builder.build(root, (), 0)
    except _TooDeep as exc:
        raise SpecErrors([Diagnostic(file, *_at(exc.node.start_mark),
                                     f"spec nests deeper than {MAX_DEPTH} levels",
                                     "is an alias referring to itself?")]) from None
    except _TooBig as exc:
        raise SpecErrors([Diagnostic(file, *_at(exc.node.start_mark),
                                     f"spec expands to more than {MAX_NODES} values",
                                     "aliases (*name) are expanded; reduce their nesting")]) from None
    if builder.problems:
        raise SpecErrors(builder.problems)
    return data, builder.map


def load_yaml(path: str | Path) -> tuple[Any, SourceMap]:
    path = Path(path)
    shown = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecErrors([Diagnostic(shown, 1, 1, f"spec is larger than {MAX_BYTES // 1024 // 1024} MiB")])
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecErrors([Diagnostic(shown, 1, 1, f"cannot read spec: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecErrors([Diagnostic(shown, line, 1, "spec is not valid UTF-8")]) from None
    return load_yaml_text(text, shown)
