"""specc.measures: the functions a `measure:` may call, one object each, in one registry.

    from specc.measures import MEASURE_FUNCTIONS
    fn = MEASURE_FUNCTIONS.get("spearman")
    fn.signature()      # 'spearman(column, column)' — the compiler checks calls against it
    fn.evaluate         # how specc.verdicts computes it on cells (estimate and resamples)
    fn.tests, fn.intervals, fn.null_value(call, threshold), fn.summary

Every module of this package that defines `FUNCTIONS` is registered (so adding a
function is one new file, or one entry in a file here); plugin modules named in
`SPECC_PLUGINS` add theirs with a `MEASURES` list, and can never replace a built-in
function. Then the registry is frozen: a spec can never change what a name means.

This package imports no other part of specc but its core (names, registry): the
compiler imports it for signatures, the verdicts for evaluation.
"""
from __future__ import annotations

import importlib
import pkgutil

from specc.registry import Registry, plugin_modules

from .function import (BOOTSTRAP, SUMMARIES, TEST_METHODS, MeasureEvalError, MeasureFunction,
                       function)

PLUGINS_ENV = "SPECC_MEASURE_PLUGINS"


class MeasurePluginError(Exception):
    """A plugin's measure function cannot be registered."""


def _builtin_modules():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_") and info.name not in ("function", "cellmath", "weighted", "seriesmath"):
            yield importlib.import_module(f"{__name__}.{info.name}")


def _plugin_functions() -> list[MeasureFunction]:
    found = []
    for name, module in plugin_modules(PLUGINS_ENV, MeasurePluginError):
        if not hasattr(module, "MEASURES"):
            raise MeasurePluginError(f"{PLUGINS_ENV}: plugin module {name!r} defines no MEASURES")
        for fn in module.MEASURES:
            if not isinstance(fn, MeasureFunction) or fn.evaluate is None:
                raise MeasurePluginError(f"{PLUGINS_ENV}: {name}: {fn!r} is not a MeasureFunction "
                                         "with an evaluate")
            found.append(fn)
    return found


MEASURE_FUNCTIONS: Registry[MeasureFunction] = Registry("measure function")
for _module in _builtin_modules():
    for _fn in _module.FUNCTIONS:
        MEASURE_FUNCTIONS.register(_fn.name, _fn)
BUILTIN = frozenset(MEASURE_FUNCTIONS)
for _fn in _plugin_functions():
    if _fn.name in MEASURE_FUNCTIONS:
        raise MeasurePluginError(f"{PLUGINS_ENV}: plugin measure function {_fn.name!r} would replace "
                                 "a registered one")
    MEASURE_FUNCTIONS.register(_fn.name, _fn)
MEASURE_FUNCTIONS.freeze()

__all__ = ["MEASURE_FUNCTIONS", "BUILTIN", "MeasureFunction", "MeasureEvalError", "function",
           "BOOTSTRAP", "SUMMARIES", "TEST_METHODS", "PLUGINS_ENV", "MeasurePluginError"]
