"""Pick one task of a run from what a user types: `specc logs pretrain seed=2`.

A selector is, in order of preference:

* a whole task id: `pretrain/model=tiny/seed=2`;
* an unambiguous prefix of one: `pretrain/model=tiny/seed=2` when it is the only such
  task, `score/model=t` ...;
* a stage and axis values, in any order, separated by `/` or spaces:
  `pretrain seed=2`, `seed=2/pretrain`, `score model=tiny checkpoint=300`. The stage may
  be left out when the axis values pick one task of the whole run.

Several matches are an error that lists them (and says which axis tells them apart);
none is an error with the closest ids.
"""
from __future__ import annotations

import difflib
import re
from typing import Any


class SelectError(LookupError):
    pass


def condition_of(task_id: str) -> dict[str, str]:
    """`score/model=tiny/seed=2` -> {"model": "tiny", "seed": "2"} (values as written in the id)."""
    pairs = (part.partition("=") for part in task_id.split("/")[1:])
    return {k: v for k, sep, v in pairs if sep}


def select_task(tasks: list[dict[str, Any]], selector: str) -> dict[str, Any]:
    """The one task (a ledger row with `task_id` and `stage`) that `selector` names."""
    selector = selector.strip()
    if not selector:
        raise SelectError("name a task: its id, a prefix of it, or a stage with axis values (pretrain seed=2)")
    by_id = {t["task_id"]: t for t in tasks}
    if selector in by_id:
        return by_id[selector]
    prefixed = [t for t in tasks if t["task_id"].startswith(selector)]
    if len(prefixed) == 1:
        return prefixed[0]
    matches = prefixed or _by_selectors(tasks, selector)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        close = difflib.get_close_matches(selector, list(by_id), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SelectError(f"no task matches {selector!r} in this run{hint}")
    raise SelectError(_ambiguous(selector, matches))


def _by_selectors(tasks: list[dict[str, Any]], selector: str) -> list[dict[str, Any]]:
    words = [w for w in re.split(r"[/\s]+", selector) if w]
    stages = [w for w in words if "=" not in w]
    wanted = dict(w.split("=", 1) for w in words if "=" in w)
    if len(stages) > 1:
        return []
    found = []
    for t in tasks:
        if stages and t["stage"] != stages[0]:
            continue
        condition = condition_of(t["task_id"])
        if all(condition.get(k) == v for k, v in wanted.items()):
            found.append(t)
    return found


def _ambiguous(selector: str, matches: list[dict[str, Any]]) -> str:
    conditions = [condition_of(t["task_id"]) for t in matches]
    axes = sorted({k for c in conditions for k in c if len({c.get(k) for c in conditions}) > 1})
    shown = ", ".join(t["task_id"] for t in matches[:6]) + (" ..." if len(matches) > 6 else "")
    stages = sorted({t["stage"] for t in matches})
    how = (f"add a stage ({', '.join(stages)})" if len(stages) > 1
           else f"add {' or '.join(f'{a}=...' for a in axes)}" if axes else "give the whole id")
    return f"{selector!r} matches {len(matches)} tasks: {shown}; {how}"
