"""Deviations from the pre-registration lock, field by field.

Only a change to what decides a hypothesis (its measure, threshold, interval,
test, gate or kind, or the family-wise decision) demotes it: it is then reported
as exploratory, not confirmatory. Wording edits and design changes (stages,
conditions, data, models, seed) are listed with the hypotheses they touch, and
demote nothing: the design is what the run actually did, and the report shows it.

Deviations are computed against the spec as compiled, profile included: a smoke
run deviates from its pre-registration, and says so.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .lock import Lock, confirmatory_content, diff

DECIDING = ("measure", "expect", "interval", "test", "when", "kind", "missing")


@dataclass(frozen=True)
class Deviation:
    path: str                  # dotted: hypotheses.H1.expect, stages.pretrain.steps, conditions.seed
    locked: Any                # the value in the lock (None: absent)
    now: Any                   # the value in the spec (None: absent)
    effect: str                # in words, for the report
    demotes: tuple[str, ...] = field(default=())   # hypotheses now reported as exploratory

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "locked": self.locked, "now": self.now, "effect": self.effect}


def deviations(lock: Lock | Mapping[str, Any], plan,
               readers: Mapping[str, set[str]] | None = None) -> list[Deviation]:
    """Every difference between the lock's content and the compiled spec, in spec order.

    `readers` maps a dotted prefix (`stages.score`, `data.pairs`, `conditions.model`)
    to the hypotheses a change under it can affect; see `readers(plan)`."""
    locked = lock.content if isinstance(lock, Lock) else dict(lock.get("content", lock))
    now = confirmatory_content(plan)
    confirmatory = [h for h, x in now.get("hypotheses", {}).items() if x.get("kind") == "confirmatory"]
    out: list[Deviation] = []
    for path, old, new in diff(locked, now):
        if new is None and isinstance(old, (dict, list)) and not old:
            continue   # an empty default a lock frozen before lock.empty_defaults still holds
        section, _, rest = path.partition(".")
        if section == "hypotheses":
            out.append(_hypothesis(path, rest, old, new))
        elif section == "decision":
            out.append(Deviation(path, old, new, "every confirmatory hypothesis reported as exploratory"
                                 + (f" ({', '.join(confirmatory)})" if confirmatory else ""),
                                 tuple(confirmatory)))
        else:
            out.append(Deviation(path, old, new, _design_effect(path, readers)))
    out += _data_files(lock, plan, readers)
    return out


def _data_files(lock, plan, readers) -> list[Deviation]:
    """A local data file whose content changed since the lock: a deviation naming the file."""
    from .lock import data_file_digests
    locked = lock.data_files if isinstance(lock, Lock) else lock.get("data_files")
    if not locked:
        return []   # a lock from before data digests were recorded
    now = data_file_digests(plan)
    out = []
    for name in sorted({*locked, *now}):
        for file in sorted({*locked.get(name, {}), *now.get(name, {})}):
            old, new = locked.get(name, {}).get(file), now.get(name, {}).get(file)
            if old != new:
                what = "changed since the lock" if old and new else ("added" if new else "removed")
                out.append(Deviation(f"data.{name}: {file}", old and f"sha256 {old[:12]}",
                                     new and f"sha256 {new[:12]}",
                                     f"data file {what}; {_design_effect(f'data.{name}', readers)}"))
    return out


def demoted(lock: Lock | Mapping[str, Any], plan,
            readers: Mapping[str, set[str]] | None = None) -> dict[str, str]:
    """Hypotheses the spec calls confirmatory that must be reported as exploratory, and why."""
    kinds = {h: x.kind for h, x in plan.hypotheses.items()}
    out: dict[str, str] = {}
    for dev in deviations(lock, plan, readers):
        for hid in dev.demotes:
            if kinds.get(hid) == "confirmatory":
                out.setdefault(hid, "added after pre-registration" if dev.locked is None
                               else f"{dev.path} changed after pre-registration")
    return out


def _hypothesis(path: str, rest: str, old: Any, new: Any) -> Deviation:
    hid, _, fld = rest.partition(".")
    if not fld:  # the whole hypothesis appeared or disappeared
        if old is None:
            if new.get("kind") == "exploratory":
                return Deviation(path, old, new, f"{hid} added after pre-registration (exploratory)")
            return Deviation(path, old, new, f"{hid} reported as exploratory (added after "
                                             "pre-registration)", (hid,))
        return Deviation(path, old, new, f"{hid} dropped after pre-registration")
    top = fld.split(".", 1)[0]
    if top == "statement":
        return Deviation(path, old, new, f"wording; {hid} stays as registered")
    if top == "kind" and old == "confirmatory":
        return Deviation(path, old, new, f"{hid} reported as exploratory")
    if top == "kind" and new == "confirmatory":
        return Deviation(path, old, new, f"{hid} reported as exploratory (promoted to confirmatory "
                                         "after pre-registration)", (hid,))
    return Deviation(path, old, new, f"{hid} reported as exploratory", (hid,))


def _design_effect(path: str, readers: Mapping[str, set[str]] | None) -> str:
    if path.startswith("stages.") and ".resources" in path:
        return "resources: where it runs, not what it computes"
    if readers is None:
        return "design change; hypotheses stay confirmatory"
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        hids = readers.get(".".join(parts[:n]))
        if hids is not None:
            break
    else:
        hids = readers.get("*", set())
    if not hids:
        return "design change; no hypothesis reads it"
    return f"design change affecting {', '.join(sorted(hids, key=_natural))}; they stay confirmatory"


def readers(plan) -> dict[str, set[str]]:
    """Dotted prefix of the spec -> hypotheses a change there can affect.

    A hypothesis reads the stages and data sources its measure names, and through
    them everything upstream: a stage's upstream stages, the data sources and
    models its params name, and the axes it varies over. `*` (seed, zip, include,
    exclude: the whole design) affects every hypothesis."""
    spec = plan.spec
    values: dict[str, list] = {a: list(v) for a, v in spec.conditions.axes.items()}
    for group in spec.conditions.zip:
        for a, vs in group.items():
            values.setdefault(a, []).extend(vs)
    for row in spec.conditions.include:
        for a, v in row.items():
            values.setdefault(a, []).append(v)
    uses: dict[str, set[str]] = {}   # stage -> what it reads directly
    for name, st in plan.stages.items():
        params = spec.stages[name].params if name in spec.stages else {}
        named = _names_in(params, spec)
        named |= {f"conditions.{a}" for a in st.over if a in spec.conditions.axes}
        for axis in _axes_in(params):  # `model: ${model}`: every model the axis names
            named |= {_entry(str(v), spec) for v in values.get(axis, [])} - {None}
        uses[f"stages.{name}"] = named | {f"stages.{u}" for u in st.upstream}
    out: dict[str, set[str]] = {}
    for hid, hyp in spec.hypotheses.items():
        todo = [f"stages.{s}" for s in plan.hypothesis_reads.get(hid, ())]
        todo += [f"data.{s}" for s in plan.hypotheses[hid].reads if s in spec.data]
        seen: set[str] = set()
        while todo:
            key = todo.pop()
            if key not in seen:
                seen.add(key)
                todo += uses.get(key, ())
        for key in seen:
            out.setdefault(key, set()).add(hid)
    everyone = set(spec.hypotheses)
    for key in ("*", "seed", "conditions.zip", "conditions.include", "conditions.exclude"):
        out[key] = everyone
    for section in ("stages", "data", "models"):
        for name in getattr(spec, section):
            out.setdefault(f"{section}.{name}", set())
    return out


def _entry(value: str, spec) -> str | None:
    """`corpus.train` or `pairs[sample:600]` -> data.corpus / data.pairs; `tiny` -> models.tiny;
    anything else -> None."""
    head = value.split(".", 1)[0].split("[", 1)[0]
    if head in spec.data:
        return f"data.{head}"
    if head in spec.models:
        return f"models.{head}"
    return None


def _names_in(value: Any, spec) -> set[str]:
    if isinstance(value, str):
        return {e for e in [_entry(value, spec)] if e}
    if isinstance(value, dict):
        return set().union(*(_names_in(v, spec) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_names_in(v, spec) for v in value)) if value else set()
    return set()


def _axes_in(value: Any) -> set[str]:
    import re
    if isinstance(value, str):
        return set(re.findall(r"\$\{(\w+)\}", value))
    if isinstance(value, dict):
        return set().union(set(), *(_axes_in(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(set(), *(_axes_in(v) for v in value))
    return set()


def _natural(hid: str) -> tuple:
    """H2 before H10."""
    import re
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", hid))
