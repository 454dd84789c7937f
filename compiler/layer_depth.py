"""Layer selectors checked against the depth of the model they will read, where the
compiler can know it: a `models:` entry built from config (`n_layer`), directly or through
the stages that train or read it. Hub and local models are only known at run time, where
the probe ops fail the task naming the model and the layer.
"""
from __future__ import annotations

from typing import Any

from .errors import Diagnostics
from .spec_model import ConfigModel, Spec

# Params naming the model a stage reads (first one set wins), and params holding layers.
MODEL_PARAMS = ("model", "recipient", "activations")
# Paths of params holding layers (eval.generate's are under `steer`, fine-tuning's under `freeze`).
LAYER_PARAMS = (("layers",), ("late",), ("steer", "layers"), ("freeze", "layers"))


def model_depth(name: Any, spec: Spec, infos: dict, seen: frozenset = frozenset()) -> tuple[str, int] | None:
    """(models: entry, n_layer) behind a model name or a stage, when built from config."""
    if not isinstance(name, str) or name in seen:
        return None
    model = spec.models.get(name)
    if model is not None:
        return (name, model.n_layer) if isinstance(model, ConfigModel) else None
    info = infos.get(name)
    params = info.any_params if info is not None else None
    for field in MODEL_PARAMS:
        found = model_depth(getattr(params, field, None), spec, infos, seen | {name})
        if found is not None:
            return found
    return None


def check_layer_depth(spec: Spec, infos: dict, diags: Diagnostics) -> None:
    from specc.ops.probe._layers import LayerError, resolve_layers
    for name, info in infos.items():
        reported: set[tuple] = set()
        for params in info.combos.values():
            found = next((model_depth(getattr(params, f, None), spec, infos) for f in MODEL_PARAMS
                          if getattr(params, f, None) is not None), None)
            if found is None:
                continue
            model, depth = found
            for path in LAYER_PARAMS:
                value = params
                for part in path:
                    value = getattr(value, part, None)
                if not isinstance(value, list):
                    continue
                field = ".".join(path)
                for i, entry in enumerate(value):
                    try:
                        resolve_layers([entry], depth)
                    except LayerError as err:
                        key = (field, i, str(err))
                        if key not in reported:
                            reported.add(key)
                            diags.error(("stages", name, *path, i), f"stages.{name}.{field}: {err}",
                                        f"model {model!r} has {depth} blocks: use 0..{depth - 1}, -1 "
                                        "for the last, or a fraction of depth such as 0.5")
