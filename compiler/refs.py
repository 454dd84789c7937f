"""Find the params of an op that name other parts of the spec (`Ref` fields)."""
from __future__ import annotations

import types
import typing
from typing import Any, Iterator

from pydantic import BaseModel

from specc.ops._op import Ref

PLACEHOLDER_OPEN = "${"


def refs_in_params(params: BaseModel) -> Iterator[tuple[tuple, Ref, str]]:
    """Yield (path inside the params, Ref, value) for every reference in `params`."""
    for path, marker, value, _owner in marked(params, Ref):
        yield path, marker, value


def marked(params: BaseModel, kind: type) -> Iterator[tuple[tuple, Any, str, BaseModel]]:
    """Yield (path, marker, value, model holding the field) for string values whose
    annotation carries a `kind` marker (Ref, ColumnOf), through lists and sub-models."""
    for name, field in type(params).model_fields.items():
        value = getattr(params, name)
        marker = next((m for m in field.metadata if isinstance(m, kind)), None)
        if marker is not None and isinstance(value, str):
            yield (name,), marker, value, params
            continue
        yield from _walk(field.annotation, value, (name,), kind, params)


def _walk(tp: Any, value: Any, path: tuple, kind: type, owner: BaseModel):
    if value is None:
        return
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        inner, *meta = typing.get_args(tp)
        marker = next((m for m in meta if isinstance(m, kind)), None)
        if marker is not None and isinstance(value, str):
            yield path, marker, value, owner
            return
        yield from _walk(inner, value, path, kind, owner)
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            found = list(_walk(arg, value, path, kind, owner))
            if found:
                yield from found
                return
    elif origin in (list, tuple) and isinstance(value, (list, tuple)):
        args = typing.get_args(tp)
        for i, item in enumerate(value):
            yield from _walk(args[0] if args else Any, item, path + (i,), kind, owner)
    elif origin is dict and isinstance(value, dict):
        args = typing.get_args(tp)
        for key, item in value.items():
            yield from _walk(args[-1] if args else Any, item, path + (key,), kind, owner)
    elif isinstance(value, BaseModel):
        for sub_path, marker, found, sub_owner in marked(value, kind):
            yield path + sub_path, marker, found, sub_owner


def placeholders(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, bool]]:
    """Yield (path, axis name, whole) for `${axis}` uses in raw params.

    `whole` is True when the value is exactly `${axis}` (it then takes the axis
    value with its type); otherwise the axis value is interpolated into a string.
    """
    if isinstance(value, str):
        start = value.find(PLACEHOLDER_OPEN)
        while start != -1:
            end = value.find("}", start)
            if end == -1:
                yield path, "", False
                return
            yield path, value[start + 2:end], (start == 0 and end == len(value) - 1)
            start = value.find(PLACEHOLDER_OPEN, end)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from placeholders(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from placeholders(item, path + (i,))


def substitute(value: Any, axes: dict[str, Any]) -> Any:
    """Replace `${axis}` uses by the axis values of one condition."""
    if isinstance(value, str) and PLACEHOLDER_OPEN in value:
        if value.startswith("${") and value.endswith("}") and value.count("${") == 1:
            return axes[value[2:-1]]
        out = value
        for name, axis_value in axes.items():
            out = out.replace("${" + name + "}", format_value(axis_value))
        return out
    if isinstance(value, dict):
        return {k: substitute(v, axes) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, axes) for v in value]
    return value


def format_value(value: Any) -> str:
    """How an axis value appears in task ids and interpolated strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
