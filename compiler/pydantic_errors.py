"""Turn pydantic's validation errors into diagnostics a researcher can act on."""
from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Diagnostics, did_you_mean, names_hint

# Union tags that pydantic puts into error locations; users never wrote them.
_TAGS = {"text", "jsonl", "csv", "parquet", "hf", "config", "hub", "path"}
_UNION_HELP = {
    "data": ("data source {name!r} needs exactly one of the keys text, jsonl, csv, parquet or hf",
             ("text", "jsonl", "csv", "parquet", "hf")),
    "models": ("model {name!r} needs exactly one of the keys init (build from a config), "
               "hub (pretrained, with revision) or path (a saved model)", ("init", "hub", "path")),
}


def show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out or "spec"


def _clean_loc(loc: tuple) -> tuple:
    loc = tuple(loc)
    if len(loc) > 2 and loc[0] in ("data", "models") and loc[2] in _TAGS:
        loc = loc[:2] + loc[3:]
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
    return loc


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _model_at(root: type[BaseModel], loc: tuple, raw: Any) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at `loc` (for key suggestions)."""
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(raw, dict):
            raw = raw.get(part)
        elif isinstance(raw, list) and isinstance(part, int) and part < len(raw):
            raw = raw[part]
        else:
            raw = None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part)
            if field is None:
                return None
            tp = field.annotation
            continue
        origin = typing.get_origin(tp)
        if origin in (dict, list):
            tp = typing.get_args(tp)[-1]
            continue
        return None
    return _pick_union(_unwrap(tp), raw)


def _pick_union(tp: Any, raw: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        models = [_unwrap(a) for a in typing.get_args(tp)]
        models = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
        if isinstance(raw, dict):
            for m in models:  # the branch whose required keys the user wrote
                required = [n for n, f in m.model_fields.items() if f.is_required()]
                if required and all(k in raw for k in required[:1]):
                    return m
        return models[0] if len(models) == 1 else None
    return None


def report_validation_error(exc: ValidationError, diags: Diagnostics, root: type[BaseModel],
                            raw: Any, prefix: tuple = (), context: str = "") -> None:
    """Add one diagnostic per pydantic error, located with the source map."""
    errors = exc.errors(include_url=False)
    # A misspelt key shows up twice: as unknown ('stesp') and as missing ('steps').
    # Report it once, as the unknown key with its suggestion.
    typos = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = _clean_loc(err["loc"])
            siblings = [e["loc"][-1] for e in errors if e["type"] == "missing"
                        and _clean_loc(e["loc"])[:-1] == loc[:-1]]
            for match in difflib.get_close_matches(str(loc[-1]), [str(s) for s in siblings], n=1, cutoff=0.7):
                typos.add(loc[:-1] + (match,))
    for err in errors:
        if err["type"] == "missing" and _clean_loc(err["loc"]) in typos:
            continue
        loc = prefix + _clean_loc(err["loc"])
        kind, msg, value = err["type"], err["msg"], err.get("input")
        where = dotted(loc)
        if kind == "missing":
            diags.error(loc, f"{dotted(loc[:-1])}: missing required key {loc[-1]!r}{context}", at="key")
        elif kind == "extra_forbidden":
            model = _model_at(root, _clean_loc(err["loc"])[:-1], raw)
            allowed = list(model.model_fields) if model else []
            allowed = [a for a in allowed if a != "kind"]
            diags.error(loc, f"{dotted(loc[:-1])}: unknown key {loc[-1]!r}{context}",
                        names_hint(loc[-1], allowed) if allowed else None, at="key")
        elif kind == "union_tag_not_found" or kind == "union_tag_invalid":
            section = loc[0] if loc else ""
            template, keys = _UNION_HELP.get(section, ("{name!r} has an unknown form", ()))
            written = list(value) if isinstance(value, dict) else []
            hint = next((h for h in (did_you_mean(k, keys) for k in written) if h), None)
            if isinstance(value, dict) and sum(k in value for k in keys) > 1:
                hint = "write only one of " + ", ".join(k for k in keys if k in value)
            diags.error(loc, template.format(name=loc[-1]), hint, at="key")
        elif kind == "literal_error":
            options = re.findall(r"'([^']*)'|(\d+)", err.get("ctx", {}).get("expected", ""))
            options = [a or b for a, b in options]
            diags.error(loc, f"{where}: expected {err.get('ctx', {}).get('expected', '')}, "
                             f"got {show(value)}{context}", did_you_mean(value, options))
        elif kind == "string_pattern_mismatch":
            hint = ("use lowercase letters, digits, '.', '_' and '-'" if loc == ("name",)
                    else "names start with a letter or '_' and hold letters, digits and '_'")
            is_key = err["loc"] and err["loc"][-1] == "[key]"
            diags.error(loc, f"{where}: {show(value)} is not a valid name{context}", hint,
                        at="key" if is_key else "value")
        else:
            text = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
            text = text[0].lower() + text[1:] if text else text
            got = "" if kind == "value_error" else f", got {show(value)}"
            diags.error(loc, f"{where}: {text}{got}{context}")
