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
# Tags of op params that take one entry or a list (train.pretrain's inject), anywhere.
_PARAM_TAGS = {"one_inject", "inject_list"}
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
    return tuple(p for p in loc if p != "[key]" and p not in _PARAM_TAGS)


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _model_at(root: type[BaseModel], loc: tuple, raw: Any) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at `loc` (for key suggestions)."""
    tp: Any = root
    for part in loc:
        tp = _resolve(tp, raw)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part)
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) in (dict, list):
            tp = typing.get_args(tp)[-1]
        else:
            return None
        if isinstance(raw, dict):
            raw = raw.get(part)
        elif isinstance(raw, list) and isinstance(part, int) and part < len(raw):
            raw = raw[part]
        else:
            raw = None
    tp = _resolve(tp, raw)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _resolve(tp: Any, raw: Any) -> Any:
    """Unwrap Annotated and Optional; pick the union branch whose first required key is written."""
    tp = _unwrap(tp)
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return tp
    members = [_unwrap(a) for a in typing.get_args(tp) if a is not type(None)]
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    if isinstance(raw, dict):
        for m in models:
            required = [n for n, f in m.model_fields.items() if f.is_required()]
            if required and required[0] in raw:
                return m
    if len(models) == 1:
        return models[0]
    return members[0] if len(members) == 1 else tp


_BRANCH = re.compile(r"^(bool|int|float|str|none|list\[.*\]|dict\[.*\]|function-.*)$")


def _strip_branches(errors: list[dict]) -> list[dict]:
    """A value that fits no member of a union gets one error per member; keep one."""
    out, seen = [], {}
    for err in errors:
        loc = tuple(err["loc"])
        while loc and isinstance(loc[-1], str) and _BRANCH.match(loc[-1]):
            loc = loc[:-1]
        if len(loc) < len(err["loc"]):
            if loc in seen:
                seen[loc]["type"] = "union_mismatch"
                continue
            err = {**err, "loc": loc}
            seen[loc] = err
        out.append(err)
    return out


def report_validation_error(exc: ValidationError, diags: Diagnostics, root: type[BaseModel],
                            raw: Any, prefix: tuple = (), context: str = "", relative: int = 0,
                            extra_keys: tuple[str, ...] = ()) -> None:
    """Add one diagnostic per pydantic error, located with the source map.

    Error locations are `prefix + pydantic's loc`; `root` and `raw` describe the
    document from the `relative`-th element of that path on (for key suggestions).
    `extra_keys` are also allowed where `root` itself is validated (a stage's own keys).
    """
    errors = _strip_branches(exc.errors(include_url=False))
    errors = [{**e, "key": "[key]" in e["loc"], "loc": _clean_loc(prefix + tuple(e["loc"]))} for e in errors]
    # A misspelt key shows up twice: as unknown ('stesp') and as missing ('steps').
    # Report it once, as the unknown key with its suggestion.
    typos = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = err["loc"]
            siblings = [e["loc"][-1] for e in errors if e["type"] == "missing" and e["loc"][:-1] == loc[:-1]]
            for match in difflib.get_close_matches(str(loc[-1]), [str(s) for s in siblings], n=1, cutoff=0.7):
                typos.add(loc[:-1] + (match,))
    for err in errors:
        if err["type"] == "missing" and err["loc"] in typos:
            continue
        loc = err["loc"]
        kind, msg, value = err["type"], err["msg"], err.get("input")
        where = dotted(loc)
        if kind == "missing":
            diags.error(loc, f"{dotted(loc[:-1])}: missing required key {loc[-1]!r}{context}", at="key")
        elif kind == "extra_forbidden":
            model = _model_at(root, loc[relative:-1], raw)
            allowed = [a for a in (model.model_fields if model else []) if a != "kind"]
            if len(loc) == relative + 1:
                allowed += list(extra_keys)
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
        elif kind == "union_mismatch":
            diags.error(loc, f"{where}: expected a string, number or boolean, got {show(value)}{context}",
                        "axis values are plain scalars" if loc[:1] == ("conditions",) else None)
        elif kind == "list_type":
            diags.error(loc, f"{where}: expected a list, got {show(value)}{context}",
                        f"write [{show(value)}] for a single value" if not isinstance(value, (dict, list)) else None)
        elif kind == "string_pattern_mismatch":
            hint = ("use lowercase letters, digits, '.', '_' and '-'" if loc == ("name",)
                    else "names start with a letter or '_' and hold letters, digits and '_'")
            is_key = err.get("key", False)
            diags.error(loc, f"{where}: {show(value)} is not a valid name{context}", hint,
                        at="key" if is_key else "value")
        else:
            text = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
            text = text[0].lower() + text[1:] if text else text
            got = "" if kind == "value_error" else f", got {show(value)}"
            diags.error(loc, f"{where}: {text}{got}{context}")
