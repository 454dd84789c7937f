"""Whatever the input, the compiler answers with diagnostics, never a crash.

Mutates the example specs at random (seeded): deletes keys, swaps values for
other types, renames references, truncates the text; each mutant must either
compile or raise SpecErrors.
"""
import random
from pathlib import Path

import pytest
import yaml

from specc.compiler import SpecErrors, compile_spec

ROOT = Path(__file__).parents[2]
SPECS = sorted((ROOT / "specs").glob("[!.]*.yaml"))
JUNK = [None, 0, -1, 1.5, True, "x", "", "${nope}", "${model", [], [1, "a"], {}, {"a": 1}, "H9 is supported",
        "mean(", "> x", "1e400", 10**30]


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def mutate(data, rng):
    target = rng.choice([p for p in paths(data) if p])
    parent = data
    for part in target[:-1]:
        parent = parent[part]
    action = rng.random()
    if action < 0.3 and isinstance(parent, dict):
        del parent[target[-1]]
    elif action < 0.4 and isinstance(parent, dict):
        parent[str(target[-1]) + "x"] = parent.pop(target[-1])
    else:
        parent[target[-1]] = rng.choice(JUNK)


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_mutants_never_crash(spec, tmp_path):
    rng = random.Random(spec.stem)
    original = yaml.safe_load(spec.read_text())
    for i in range(40):
        data = yaml.safe_load(yaml.safe_dump(original))
        for _ in range(rng.randint(1, 3)):
            mutate(data, rng)
        path = spec.parent / f".fuzz-{spec.stem}-{i}.yaml"  # beside the original: same data roots
        try:
            path.write_text(yaml.safe_dump(data, sort_keys=False))
            try:
                compile_spec(path)
            except SpecErrors as exc:
                assert exc.diagnostics and all(d.line >= 1 and d.col >= 1 for d in exc.diagnostics)
        finally:
            path.unlink()


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_truncated_text_never_crashes(spec):
    text = spec.read_text()
    rng = random.Random(len(text))
    for i in range(15):
        path = spec.parent / f".fuzz-trunc-{spec.stem}-{i}.yaml"
        try:
            path.write_text(text[: rng.randrange(len(text))])
            try:
                compile_spec(path)
            except SpecErrors:
                pass
        finally:
            path.unlink()
