"""The package's layers, read from the source (every import, including those inside
functions): no import cycle between top-level parts, and only the compiler parses the
measure, expect and gate mini-languages — every other layer reads the typed hypotheses
and parsed gates of the compiled plan."""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = {"compiler": "compiler", "ops": "ops", "runtime": "runtime", "verdicts": "verdicts",
         "report": "report", "templates": "templates", "measures": "measures", "design": "design",
         "prereg": "prereg", "containers": "containers"}
# The parsers (and the scanner under them) of the three mini-languages.
PARSERS = {"parse_measure", "parse_expect", "parse_gate", "tokenize", "TokenCursor", "_Parser",
           "_GateParser", "compile_hypothesis", "compile_hypotheses"}
PARSER_MODULES = {"measure", "measure_lexer", "measure_where", "thresholds", "gates"}
CORE = ("__init__", "names", "registry", "faults", "datarefs")   # the rest of specc/ is the CLI, on top


def _modules():
    for folder in [*PARTS, "specc"]:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield folder, path


def _part_of(folder: str, path: Path) -> str:
    if folder == "specc":   # names and the registry at the bottom; the CLI and CI on top
        return "core" if path.stem in CORE else "cli"
    return folder


def _imports(folder: str, path: Path):
    """(imported module as `specc.x.y`, names) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ["specc"] + ([] if folder == "specc" else [folder]) + \
        list(path.relative_to(ROOT / folder).parent.parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, set()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module, {a.name for a in node.names}


def _target(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "specc":
        return None
    if len(parts) == 1 or parts[1] in CORE:
        return "core"
    return parts[1] if parts[1] in PARTS else "cli"


def test_no_import_cycle_between_parts():
    graph: dict[str, set[str]] = {}
    edges: dict[tuple[str, str], str] = {}
    for folder, path in _modules():
        src = _part_of(folder, path)
        for module, _ in _imports(folder, path):
            dst = _target(module)
            if dst is not None and dst != src:
                graph.setdefault(src, set()).add(dst)
                edges.setdefault((src, dst), f"{path.relative_to(ROOT)} imports {module}")
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        shown = [edges.get((a, b), f"{a} -> {b}") for a, b in zip(cycle, cycle[1:])]
        pytest.fail("import cycle: " + " -> ".join(cycle) + "\n  " + "\n  ".join(shown))


def test_the_bottom_layers_import_nothing_above_them():
    """ops and measures are extended by plugins: neither may need the compiler (ops may use
    a measure's statistics, which sit below them)."""
    allowed = {"ops": (None, "core", "ops", "measures"), "measures": (None, "core", "measures")}
    for folder, path in _modules():
        for module, _ in _imports(folder, path) if folder in allowed else ():
            assert _target(module) in allowed[folder], f"{path.relative_to(ROOT)} imports {module}"


def test_only_the_compiler_parses_measure_expect_and_gate_text():
    offenders = []
    for folder, path in _modules():
        if folder == "compiler":
            continue
        for module, names in _imports(folder, path):
            parts = module.split(".")
            if parts[:2] != ["specc", "compiler"]:
                continue
            parser_module = len(parts) == 3 and parts[2] in PARSER_MODULES
            used = names & PARSERS
            if used or (parser_module and not names):
                offenders.append(f"{path.relative_to(ROOT)}: {module} {sorted(used)}")
    assert offenders == []


def test_the_check_sees_a_parser_import():
    """The check above is not vacuous: it flags an import of a parser."""
    src = "from specc.compiler.measure import parse_measure\n"
    tree = ast.parse(src)
    [node] = tree.body
    assert {a.name for a in node.names} & PARSERS == {"parse_measure"}
