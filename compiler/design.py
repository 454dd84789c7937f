"""The design matrix: conditions expanded into rows (one dict per condition).

Rows = product(axes, zip groups) - exclude + include, in a stable order:
axes in the order written, the first axis varying slowest.
"""
from __future__ import annotations

import itertools
from typing import Any

from .errors import Diagnostics, names_hint
from .spec_model import MAX_SEED, Conditions


def design_rows(conditions: Conditions, diags: Diagnostics) -> tuple[list[str], list[dict[str, Any]]]:
    """Return (axis names, rows); report bad zips, includes and excludes."""
    groups: list[list[dict[str, Any]]] = []
    names: list[str] = []
    for axis, values in conditions.axes.items():
        _check_unique(values, ("conditions", axis), diags)
        groups.append([{axis: v} for v in values])
        names.append(axis)
    for i, group in enumerate(conditions.zip):
        lengths = {axis: len(values) for axis, values in group.items()}
        if not group:
            diags.error(("conditions", "zip", i), "a zip group needs at least one axis")
            continue
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{a} has {n}" for a, n in lengths.items())
            diags.error(("conditions", "zip", i), f"zipped axes must have equal lengths: {shown}")
            # keep going with the common prefix, so stages using these axes are still checked
        for axis in group:
            if axis in names:
                diags.error(("conditions", "zip", i, axis), f"axis {axis!r} is declared twice", at="key")
            names.append(axis)
        n = min(lengths.values())
        groups.append([{axis: group[axis][j] for axis in group} for j in range(n)])

    rows = [_merge(combo) for combo in itertools.product(*groups)] if groups else []
    for i, pattern in enumerate(conditions.exclude):
        _check_axes(pattern, names, ("conditions", "exclude", i), diags)
        before = len(rows)
        rows = [r for r in rows if not _matches(r, pattern)]
        if before == len(rows):
            diags.warning(("conditions", "exclude", i), "this exclude matches no condition")
    for i, extra in enumerate(conditions.include):
        if not _check_axes(extra, names, ("conditions", "include", i), diags):
            continue
        missing = [a for a in names if a not in extra]
        if missing:
            diags.error(("conditions", "include", i), f"an included row must give every axis; missing {missing}")
        elif extra in rows:
            diags.warning(("conditions", "include", i), "this row is already in the design")
        else:
            rows.append(dict(extra))
    if groups and not rows:
        diags.error(("conditions",), "the design is empty: exclude removes every condition")
    _check_seeds(conditions, diags)
    return names, rows


def _check_seeds(conditions: Conditions, diags: Diagnostics) -> None:
    """Values of a `seed` axis become the tasks' seeds: they must be seeds numpy accepts."""
    where = [(("conditions", "seed", i), v) for i, v in enumerate(conditions.axes.get("seed", []))]
    where += [(("conditions", "zip", g, "seed", i), v) for g, group in enumerate(conditions.zip)
              for i, v in enumerate(group.get("seed", []))]
    where += [(("conditions", "include", i, "seed"), row["seed"]) for i, row in enumerate(conditions.include)
              if "seed" in row]
    for path, v in where:
        if isinstance(v, int) and not isinstance(v, bool) and not 0 <= v <= MAX_SEED:
            diags.error(path, f"seed {v} is outside 0..{MAX_SEED}",
                        "seeds are non-negative and below 2**32 (numpy's seeding takes no more)")


def _merge(parts: tuple[dict, ...]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for part in parts:
        row.update(part)
    return row


def _matches(row: dict, pattern: dict) -> bool:
    for axis, want in pattern.items():
        value = row.get(axis)
        if isinstance(want, list):
            if not any(_same(value, w) for w in want):
                return False
        elif not _same(value, want):
            return False
    return True


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def _check_axes(mapping: dict, names: list[str], path: tuple, diags: Diagnostics) -> bool:
    ok = True
    for axis in mapping:
        if axis not in names:
            diags.error(path + (axis,), f"{axis!r} is not an axis of the design",
                        names_hint(axis, names), at="key")
            ok = False
    return ok


def _check_unique(values: list, path: tuple, diags: Diagnostics) -> None:
    # Linear: hashable values are looked up by identity class ("number" for ints and
    # floats alike, so 1 and 1.0 collide; bools apart); anything unhashable is compared
    # one by one, as `_same` defines it.
    seen: set = set()
    unhashable: list = []
    for i, v in enumerate(values):
        try:
            token = ("number", v) if isinstance(v, (int, float)) and not isinstance(v, bool) else (type(v), v)
            duplicate = token in seen
            seen.add(token)
        except TypeError:
            duplicate = any(_same(v, s) for s in unhashable)
            unhashable.append(v)
        if duplicate:
            diags.error(path + (i,), f"value {v!r} appears twice on axis {path[-1]!r}")
