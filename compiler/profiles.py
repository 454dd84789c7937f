"""Profiles: named overrides (`smoke`, `full` ...) applied before validation.

A profile maps dotted paths to values: `stages.pretrain.steps: 20` or
`conditions.seed: [1]`. The overridden values keep the profile's source
positions, so an error in a profile points at the profile line.
"""
from __future__ import annotations

import copy
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
        parts = tuple(dotted.split("."))
        if parts[0] == "profiles" or any(not p for p in parts):
            diags.error(where, f"profile {name!r}: cannot override {dotted!r}", at="key")
            continue
        parent = out
        for depth, part in enumerate(parts[:-1]):
            child = parent.get(part) if isinstance(parent, dict) else None
            if not isinstance(child, dict):
                existing = list(parent) if isinstance(parent, dict) else []
                diags.error(where, f"profile {name!r}: {'.'.join(parts[:depth + 1])!r} does not exist "
                                   "in the spec, so it cannot be overridden", names_hint(part, existing),
                            at="key")
                break
            parent = child
        else:
            parent[parts[-1]] = copy.deepcopy(value)
            smap.copy_subtree(where, parts)
    return out
