"""specc.compiler: spec file -> validated spec -> plan (DAG of tasks with cache keys).

Exports are loaded lazily, so that importing one module (the measure parser, a gate)
does not import the ops and, through them, torch and transformers.
"""
from importlib import import_module

__all__ = ["compile_spec", "load_checked", "Diagnostic", "SpecErrors", "Plan", "Spec"]

_HOME = {"compile_spec": ".compile", "load_checked": ".compile", "Diagnostic": ".errors",
         "SpecErrors": ".errors", "Plan": ".plan", "Spec": ".spec_model"}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(import_module(_HOME[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
