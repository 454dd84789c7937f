"""What the pretraining stages really injected, read from their artifacts' manifests.

    injection = realised_injection(plan, store)     into results.json ("injection")

One row per train.pretrain stage and declared non-zero share (a stage whose fraction is an
axis has one per value): the mode, what the fraction counts (documents, tokens or blocks),
the declared share and the realised ones over its finished tasks (min and max when tasks
differ, e.g. by seed).
"""
from __future__ import annotations

from typing import Any


def realised_injection(plan, store) -> list[dict[str, Any]]:
    rows = []
    for name, st in plan.stages.items():
        if st.op != "train.pretrain":
            continue
        # One row per declared share: a stage whose fraction is an axis (`fraction: ${rate}`)
        # declares a different share per task.
        groups: dict[float, list] = {}
        for task in plan.tasks[st.first:st.first + st.count]:
            injects = st.params[task.combo].get("inject") or []
            injects = injects if isinstance(injects, list) else [injects]
            declared = round(sum(float(i.get("fraction") or 0) for i in injects), 12)
            if declared:
                groups.setdefault(declared, []).append((task, injects))
        for declared, tasks in sorted(groups.items()):
            row = _realised(name, declared, tasks, store)
            if row is not None:
                rows.append(row)
    return rows


def _realised(name: str, declared: float, tasks: list, store) -> dict[str, Any] | None:
    mode = tasks[0][1][0].get("mode")
    unit = (tasks[0][1][0].get("fraction_of") or "documents") if mode == "insert_documents" else "blocks"
    shares: dict[str, list[float]] = {}
    for task, _injects in tasks:
        facts = (store.manifest(task.key) or {}).get("facts", {}) if store.has(task.key) else {}
        if mode == "insert_documents" and "injection" in facts:
            stream = facts["injection"]
            shares.setdefault("documents", []).append(stream["document_share"])
            shares.setdefault("tokens", []).append(stream["token_share"])
            if "injected_token_share" in facts:
                shares.setdefault("tokens trained on", []).append(facts["injected_token_share"])
        elif "injected_share" in facts:
            shares.setdefault("blocks", []).append(facts["injected_share"])
    if not shares:
        return None
    return {"stage": name, "mode": mode, "unit": unit, "declared": declared,
            "tasks": len(next(iter(shares.values()))),
            "realised": {k: [min(v), max(v)] for k, v in shares.items()}}
