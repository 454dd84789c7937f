"""JSON Schema of the spec language, for editors (yaml-language-server).

Generated from the pydantic models; each stage is checked against the params
of its op through `if op == X then ...` branches, so an editor completes and
validates op params too. A top-level param may also be `${axis}`.
"""
from __future__ import annotations

from typing import Any

from specc.ops import OPS

from .spec_model import Spec

SCHEMA_ID = "https://specc.dev/schema/spec-v1.json"
PLACEHOLDER = {"type": "string", "pattern": r"\$\{[A-Za-z_][A-Za-z0-9_]*\}",
               "description": "An axis value of the task's condition, e.g. ${model}."}
_STAGE_KEYS = ("op", "over", "resources", "when", "doc", "family")


def spec_schema(builtin_only: bool = False) -> dict[str, Any]:
    """The schema with every registered op, or only specc's own (the committed schema,
    independent of whatever SPECC_PLUGINS this machine loads)."""
    from specc.ops import BUILTIN
    ops = [(n, op) for n, op in OPS.items() if n in BUILTIN or not builtin_only]
    schema = Spec.model_json_schema(mode="validation")
    defs = schema.setdefault("$defs", {})
    stage = defs["Stage"]
    branches = []
    for name, op in ops:
        prefix = name.replace(".", "_") + "__"
        params = op.params.model_json_schema(ref_template="#/$defs/" + prefix + "{model}")
        for def_name, definition in params.pop("$defs", {}).items():
            if "properties" in definition:  # nested params (inject.fraction ...) may take an axis too
                definition["properties"] = {k: {"anyOf": [v, PLACEHOLDER]}
                                            for k, v in definition["properties"].items()}
            defs[prefix + def_name] = definition
        props = {k: {"anyOf": [v, PLACEHOLDER]} for k, v in params.get("properties", {}).items()}
        props.update({k: stage["properties"][k] for k in _STAGE_KEYS})
        branches.append({
            "if": {"properties": {"op": {"const": name}}, "required": ["op"]},
            # A family stage sets its varied param through `family:` (any required one).
            "then": {"properties": props, "required": ["op"],
                     "anyOf": [{"required": params.get("required", [])}, {"required": ["family"]}],
                     "additionalProperties": False, "description": op.doc.strip().splitlines()[0]},
        })
    stage["properties"]["op"] = {"enum": [n for n, _ in ops], "description": stage["properties"]["op"].get("description", "")}
    stage["allOf"] = branches
    stage.pop("additionalProperties", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "specc spec, format 1"
    return schema
