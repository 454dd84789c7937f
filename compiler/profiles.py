"""Profiles: named overrides (`smoke`, `full` ...) applied before validation.

A profile maps dotted paths to values: `stages.pretrain.steps: 20` or
`conditions.seed: [1]`. The overridden values keep the profile's source
positions, so an error in a profile points at the profile line.

A path segment may be a glob (`*`, `?`, `[...]`): `stages.*.resources: {gpus: 0}`
sets every stage's resources, `stages.inject*.steps: 20` the steps of every stage
whose name matches and that takes `steps` (a stage key, or a param of its op). A
wildcard is the long hand written once: the spec it gives is the one the explicit
entries give, and a wildcard that matches nothing is an error. Entries apply in
order, so an explicit entry after a wildcard refines it.
"""
from __future__ import annotations

import copy
import fnmatch
import glob
from typing import Any

from .errors import Diagnostics, names_hint


def apply_profile(raw: Any, smap, name: str | None, diags: Diagnostics) -> Any:
    if name is None or not isinstance(raw, dict):
        return raw
    profiles = raw.get("profiles") or {}
    if not isinstance(profiles, dict) or name not in profiles:
        diags.error(("profiles",), f"unknown profile {name!r}",
                    names_hint(name, profiles if isinstance(profiles, dict) else []), at="key")
        return raw
    overrides = profiles[name]
    if not isinstance(overrides, dict):
        diags.error(("profiles", name), f"profile {name!r} must map dotted paths to values, "
                                        "e.g. `stages.pretrain.steps: 20`")
        return raw
    out = copy.deepcopy(raw)
    for dotted, value in overrides.items():
        where = ("profiles", name, dotted)
        parts = tuple(str(dotted).split("."))
        if parts[0] == "profiles" or any(not p for p in parts):
            diags.error(where, f"profile {name!r}: cannot override {dotted!r}", at="key")
            continue
        if any(glob.has_magic(p) for p in parts):
            targets = _expand(out, parts)
            if not targets:
                diags.error(where, f"profile {name!r}: the wildcard {dotted!r} matches nothing in the spec",
                            _wildcard_hint(out, parts), at="key")
                continue
        else:
            targets = [parts]
        for target in targets:
            _set(out, target, value, smap, where, name, diags)
    return out


def check_wildcards(raw: Any, diags: Diagnostics, skip: str | None = None) -> None:
    """Every profile's wildcards match something, whichever profile a compile applies:
    `specc validate` catches a wildcard typo in a profile it is not asked to apply."""
    profiles = raw.get("profiles") if isinstance(raw, dict) else None
    for name, overrides in (profiles or {}).items() if isinstance(profiles, dict) else ():
        if name == skip or not isinstance(overrides, dict):
            continue  # the applied profile reports its own
        for dotted in overrides:
            parts = tuple(str(dotted).split("."))
            if any(glob.has_magic(p) for p in parts) and all(parts) and not _expand(raw, parts):
                diags.error(("profiles", name, dotted), f"profile {name!r}: the wildcard {dotted!r} "
                                                        "matches nothing in the spec",
                            _wildcard_hint(raw, parts), at="key")


def _set(out: dict, parts: tuple, value: Any, smap, where: tuple, name: str, diags: Diagnostics) -> None:
    parent = out
    for depth, part in enumerate(parts[:-1]):
        child = parent.get(part) if isinstance(parent, dict) else None
        if not isinstance(child, dict):
            existing = list(parent) if isinstance(parent, dict) else []
            diags.error(where, f"profile {name!r}: {'.'.join(parts[:depth + 1])!r} does not exist "
                               "in the spec, so it cannot be overridden", names_hint(part, existing),
                        at="key")
            return
        parent = child
    parent[parts[-1]] = copy.deepcopy(value)
    smap.copy_subtree(where, parts)


def _expand(tree: dict, parts: tuple) -> list[tuple]:
    """Concrete paths a wildcard path names, in the spec's order."""
    found: list[tuple] = []

    def walk(node: Any, done: tuple, rest: tuple) -> None:
        if not isinstance(node, dict):
            return
        head, tail = rest[0], rest[1:]
        names = [k for k in node if fnmatch.fnmatchcase(str(k), head)] if glob.has_magic(head) \
            else ([head] if head in node or (not tail and _settable(tree, done, head)) else [])
        for key in names:
            if tail:
                walk(node.get(key), done + (key,), tail)
            elif not glob.has_magic(head) or key in node:
                found.append(done + (key,))
    walk(tree, (), parts)
    return found


def _settable(tree: dict, done: tuple, key: str) -> bool:
    """A key a matched stage may get although it does not set it yet: a stage key
    (resources, when ...) or a param of its op."""
    if len(done) != 2 or done[0] != "stages":
        return False
    stage = tree["stages"][done[1]]
    return key in _stage_keys() or key in _op_fields(stage.get("op") if isinstance(stage, dict) else None)


def _stage_keys() -> tuple[str, ...]:
    from .spec_model import Stage
    return tuple(Stage.model_fields)


def _op_fields(op: str | None) -> tuple[str, ...]:
    from specc.ops import OPS
    if not isinstance(op, str) or op not in OPS:
        return ()
    return tuple(OPS.get(op).params.model_fields)


def _wildcard_hint(tree: dict, parts: tuple) -> str:
    section = tree.get(parts[0]) if isinstance(tree, dict) else None
    names = list(section) if isinstance(section, dict) else []
    return (f"{parts[0]} has: {', '.join(map(str, names))}" if names else f"the spec has no {parts[0]!r}") + \
        "; a wildcard sets a key only where it applies (a stage key, or a param of the stage's op)"
