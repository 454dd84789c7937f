"""Fixed splits, grouped splits and limited references: pure functions shared by the
compiler (part sizes, leakage checks) and the runtime (the records a task reads).

A split is fixed for the whole spec: it is seeded by the source's `split.seed`, else
the spec's `seed`, never by a task's seed, so every seed of a design scores the same
held-out items. `per_seed: true` asks for a fresh split per task seed instead.

    assign_parts(n, {"train": .9, "heldout": .1}, seed)          record indices per part
    assign_parts(n, fractions, seed, groups=values_of_group_by)  no group on two sides
    limit_indices(n, 60, sample=True, seed)                      a seeded sample of 60

A data reference is `source`, `source.part`, optionally limited: `source.part[:60]`
(the first 60 records of the part) or `source.part[sample:60]` (60 records drawn with
the split's seed, kept in the part's order).
"""
from __future__ import annotations

from typing import Any, Hashable, Sequence

from specc.datarefs import DataRefParts, parse_data_ref, ref_source  # noqa: F401 (re-exported)


def split_seed(split: Any, spec_seed: int, task_seed: int | None = None) -> int:
    """The seed a source's split (and its sampled limits) use: `split.seed`, else the
    spec's seed; the task's seed only when the split asks for `per_seed`."""
    if split is not None and getattr(split, "per_seed", False) and task_seed is not None:
        return task_seed
    seed = getattr(split, "seed", None) if split is not None else None
    return spec_seed if seed is None else seed


def assign_parts(n: int, fractions: dict[str, float], seed: int, groups: Sequence[Hashable] | None = None,
                 contiguous: bool = False) -> dict[str, list[int]]:
    """Record indices of each named part; every record lands in exactly one part.

    Contiguous (plain text): the parts are consecutive runs in file order, so lines
    next to a held-out part never train. Otherwise the records are permuted with
    `seed` and cut by the fractions. With `groups` (one value per record), the groups
    are permuted instead and each group goes whole to the part its middle record falls
    in, so parts match their fractions to within one group."""
    import numpy as np
    names = list(fractions)
    if groups is None:
        order = list(range(n)) if contiguous else np.random.default_rng(seed).permutation(n).tolist()
        parts, start = {}, 0
        for i, name in enumerate(names):
            end = n if i == len(names) - 1 else start + round(fractions[name] * n)
            parts[name] = order[start:end]
            start = end
        return parts
    members: dict[Hashable, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    keys = list(members)  # first-appearance order: no hash order, same in every process
    order = keys if contiguous else [keys[i] for i in np.random.default_rng(seed).permutation(len(keys))]
    bounds, total = [], 0.0
    for name in names:
        total += fractions[name]
        bounds.append(total * n)
    parts = {name: [] for name in names}
    seen, part = 0, 0
    for g in order:
        rows = members[g]
        middle = seen + len(rows) / 2
        while part < len(names) - 1 and middle >= bounds[part]:
            part += 1
        parts[names[part]].extend(rows)
        seen += len(rows)
    return parts


def limit_indices(n: int, limit: int | None, sample: bool, seed: int) -> list[int]:
    """Positions kept by a limit: the first `limit`, or a seeded sample of `limit` kept
    in order. Raises ValueError when the part has fewer records."""
    if limit is None:
        return list(range(n))
    if limit > n:
        raise ValueError(f"limit {limit} is larger than the {n} records it limits")
    if not sample:
        return list(range(limit))
    import numpy as np
    # Its own stream ([seed, 1]): the sample never repeats the split's permutation.
    picked = np.random.default_rng([seed, 1]).choice(n, size=limit, replace=False)
    return sorted(int(i) for i in picked)


def group_key(value: Any) -> Hashable:
    """A hashable stand-in for a group_by value (lists and dicts in JSON records)."""
    if isinstance(value, (list, dict)):
        import json
        return json.dumps(value, sort_keys=True)
    return value
