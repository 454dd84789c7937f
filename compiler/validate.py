"""Structural validation that keeps going: every broken entry is reported, and
the rest of the spec is still checked.

Entries of `data`, `models`, `stages` and `hypotheses` are validated one by one;
a broken entry is reported, left out, and its name remembered so that references
to it are not reported a second time. Broken top-level fields fall back to their
defaults (or a stand-in for required ones) for the same reason.
"""
from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from .errors import Diagnostics
from .pydantic_errors import report_validation_error
from .spec_model import DataSource, Hypothesis, ModelSpec, Name, Spec, Stage

_ENTRY_TYPES = {"data": DataSource, "models": ModelSpec, "stages": Stage, "hypotheses": Hypothesis}
_ADAPTERS = {section: TypeAdapter(dict[Name, tp]) for section, tp in _ENTRY_TYPES.items()}
_STAND_INS = {"specc": 1, "name": "invalid", "title": "invalid", "question": "invalid"}


def validate_structure(raw: Any, diags: Diagnostics) -> tuple[Spec | None, set[str], set[str]]:
    """Return the validated spec (None if hopeless), the names of broken entries
    and the names of broken design axes (left out; uses of them are not reported)."""
    if not isinstance(raw, dict):
        diags.error((), f"a spec is a mapping of keys such as `specc: 1`, `name:`, `stages:`; "
                        f"got a {type(raw).__name__}")
        return None, set(), set()
    broken: set[str] = set()
    broken_axes: set[str] = set()
    cleaned = dict(raw)
    for section, adapter in _ADAPTERS.items():
        entries = raw.get(section)
        if not isinstance(entries, dict):
            continue
        good = {}
        for name, entry in entries.items():
            try:
                adapter.validate_python({name: entry})
                good[name] = entry
            except ValidationError as exc:
                report_validation_error(exc, diags, Spec, {section: {name: entry}}, (section,))  # loc: (name, ...)
                broken.add(str(name))
        cleaned[section] = good
    for _attempt in range(3):
        try:
            return Spec.model_validate(cleaned), broken, broken_axes
        except ValidationError as exc:
            if _attempt == 0:
                report_validation_error(exc, diags, Spec, cleaned)
            for err in exc.errors():
                top = err["loc"][0] if err["loc"] else None
                conditions = cleaned.get("conditions")
                if top == "conditions" and len(err["loc"]) > 1 and isinstance(conditions, dict) \
                        and err["loc"][1] in conditions and err["loc"][1] not in ("zip", "include", "exclude"):
                    cleaned["conditions"] = {k: v for k, v in conditions.items() if k != err["loc"][1]}
                    broken_axes.add(str(err["loc"][1]))
                elif top in _STAND_INS:
                    cleaned[top] = _STAND_INS[top]
                elif top in Spec.model_fields and top in cleaned:
                    del cleaned[top]
                elif top is not None and top not in Spec.model_fields:
                    cleaned.pop(top, None)
    return None, broken, broken_axes
