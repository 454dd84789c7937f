"""Checking a call against its measure function's signature.

The functions themselves — signature, evaluation, null, tests, intervals, summary —
are objects in specc.measures (one registry, which plugins extend); the evaluator
looks each name up there too, so a spec can never call a function the compiler did
not check.
"""
from __future__ import annotations

from specc.measures import MEASURE_FUNCTIONS, MeasureFunction  # noqa: F401 (re-exported)

from .measure_ast import Call
from .measure_lexer import MeasureError


def check_call(call: Call, spec: MeasureFunction) -> None:
    """Arity, required keyword arguments and paired keys; errors point at the name."""
    n = len(call.args)
    if not spec.min_args <= n <= spec.max_args:
        raise MeasureError(call.func.offset, f"{spec.name} takes {spec.arity()}, got {n}",
                           f"write {spec.signature()}")
    given = {k.name.text for k in call.kwargs}
    for name in sorted(spec.required - given):
        raise MeasureError(call.func.offset, f"{spec.name} needs {name}=<{spec.kwargs[name]}>",
                           f"write {spec.signature()}")
    if spec.paired and any(a.by for a in call.args):
        counts = [len(a.by) for a in call.args]
        if len(set(counts)) > 1:
            raise MeasureError(call.func.offset, f"{spec.name} joins its arguments on their 'by' "
                               f"keys, in order, but they have {' and '.join(map(str, counts))} "
                               "keys", "group every argument by the same number of keys")
    if spec.check is not None:
        problem = spec.check(call)
        if problem is not None:
            raise MeasureError(*problem)
