"""Hit or miss, per task, and why: what `specc plan` shows before anything runs.

A task is a hit when the store holds a complete artifact under its key. For a
miss, the ledger's record of the same task id in an earlier run of the spec says
what changed: each key carries the digests it was made from (`key_parts`), and
the first part that differs is the reason.
"""
from __future__ import annotations

from dataclasses import dataclass

from .payload import key_parts

# In the order a reason is looked for: the most specific cause first.
_PART_REASONS = (("op", "op version or code changed"), ("env", "environment changed"),
                 ("params", "params changed"), ("models", "model definition changed"),
                 ("data", "data changed"), ("condition", "condition changed"),
                 ("upstream", "upstream changed"))


@dataclass(frozen=True)
class CacheStatus:
    hit: bool
    reason: str          # "" for a hit


def cache_statuses(plan, store, ledger=None) -> list[CacheStatus]:
    seen = ledger.last_seen(plan.path) if ledger is not None else {}
    out = []
    for task in plan.tasks:
        if store.has(task.key):
            out.append(CacheStatus(True, ""))
            continue
        out.append(CacheStatus(False, miss_reason(key_parts(plan, task), seen.get(task.id))))
    return out


def miss_reason(parts: dict, previous: dict | None) -> str:
    if previous is None:
        return "new task"
    old = previous.get("parts") or {}
    for part, reason in _PART_REASONS:
        if part in old and old[part] != parts.get(part):
            if part == "op":
                return f"{reason} ({old[part]} -> {parts[part]})"
            return reason
    status = previous.get("status")
    if status in ("failed", "skipped"):
        return f"{status} last run"
    if status in ("pending", "running"):
        return "not finished last run"
    return "artifact missing from the store"
