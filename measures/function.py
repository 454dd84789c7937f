"""One measure function, in one place: its signature (checked by the compiler), its
evaluation (on cells, for the estimate and for batches of bootstrap resamples), the
null a declared test is against, which tests and intervals apply, and how a report
summarises it.

    MeasureFunction(
        name="mean", args=(1, 1), kind="aggregate", doc="Mean of the column.",
        evaluate=lambda call, p: ...,     # -> Fn: extended weights (B, U+1) -> (B,)
        sample="one",                     # which declared tests: one | two | association | None
        tests=("t", "wilcoxon", "binomial", "permutation"),
        intervals=BOOTSTRAP,              # bca / percentile / basic (+ fisher_z for correlations)
        null=lambda call, threshold: threshold,
        summary="scale")                  # figure and condition table: see SUMMARIES

`evaluate(call, p)` gets the call node and a preparer `p` with `p.cells(arg, **kw)`
(the argument filtered and collapsed into cells, see specc.verdicts.cells); it returns
the function of the unit multiplicities. The cell arithmetic every function shares is in
`cellmath.py`.

A function with a `series` summary also takes a series argument (`max(pearson(...) per
checkpoint)`): the evaluator computes the inner expression per key value and calls
`series(call, values, weights, keys)` (see seriesmath.py). `ordered` functions read
their key as an ordered axis (argmax, first_reaching): it must hold numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

KWARG_KINDS = ("column", "number")   # a column of the call's table(s) | a numeric literal
FUNCTION_KINDS = ("aggregate", "statistic")
SAMPLES = ("one", "two", "association")
BOOTSTRAP = ("bca", "percentile", "basic")
TEST_METHODS = ("t", "wilcoxon", "binomial", "permutation")
# How reports show a hypothesis on this function:
#   scale        its value is on its column's scale (mean, median): condition means, threshold drawn
#   shifted      like scale, the threshold shifted by `chance` (accuracy_vs_chance)
#   correlation  a scatter of the joined keys with the fit; the joined per-key table
#   difference   the two arms, each with its interval
#   none         condition means of the column, no threshold
SUMMARIES = ("scale", "shifted", "correlation", "difference", "none")

Fn = Callable[[np.ndarray], np.ndarray]


class MeasureEvalError(Exception):
    """A measure cannot be computed on these tables (no rows, no common keys ...)."""


@dataclass(frozen=True)
class MeasureFunction:
    name: str
    min_args: int
    max_args: int
    kind: str                                   # "aggregate" | "statistic"
    doc: str
    # keyword name -> "column" | "number"; `required` lists those that must be given.
    kwargs: dict[str, str] = field(default_factory=dict, hash=False)
    required: frozenset[str] = frozenset()
    # Paired statistics join their arguments row by row on their `by` keys (in order),
    # so every argument must be grouped by the same number of keys.
    paired: bool = False
    evaluate: Callable[[Any, Any], Fn] | None = field(default=None, hash=False, compare=False)
    sample: str | None = None                  # the declared tests' family, None: no test applies
    tests: tuple[str, ...] = ()
    intervals: tuple[str, ...] = BOOTSTRAP
    no_interval: str = ""                      # why `intervals` is empty, e.g. "is a p-value"
    # The value a declared test's null puts the measure's *observations* at, given the
    # threshold (mean: the threshold; accuracy_vs_chance: threshold + chance; a correlation
    # or cohens_d: 0, whatever the threshold).
    null: Callable[[Any, float], float] | None = field(default=None, hash=False, compare=False)
    null_is_zero: bool = False                 # the test's null ignores the threshold
    summary: str = "none"
    # How it summarises a series argument (`... per key`); None: it takes columns only.
    series: Callable[..., np.ndarray] | None = field(default=None, hash=False, compare=False)
    ordered: bool = False                      # its `by` / `per` key is an ordered (numeric) axis
    # Extra compile-time rule: call -> None, or (offset, message, hint) of the misuse.
    check: Callable[[Any], tuple[int, str, str | None] | None] | None = field(
        default=None, hash=False, compare=False)

    def __post_init__(self) -> None:
        assert self.kind in FUNCTION_KINDS, self.kind
        assert 0 <= self.min_args <= self.max_args, self.name
        assert all(k in KWARG_KINDS for k in self.kwargs.values()), self.kwargs
        assert self.required <= set(self.kwargs), self.required
        assert self.sample in (None, *SAMPLES), self.sample
        assert set(self.tests) <= set(TEST_METHODS), self.tests
        assert bool(self.tests) == (self.sample is not None), f"{self.name}: tests need a sample"
        assert self.summary in SUMMARIES, self.summary
        assert self.name.isidentifier() and "." not in self.name, self.name

    def signature(self) -> str:
        """`accuracy_vs_chance(column, chance=<number>)`, for messages and docs."""
        args = ["column"] * self.min_args + ["[column]"] * (self.max_args - self.min_args)
        for name, kind in self.kwargs.items():
            text = f"{name}=<{kind}>"
            args.append(text if name in self.required else f"[{text}]")
        return f"{self.name}({', '.join(args)})"

    def arity(self) -> str:
        """`1 argument`, `2 arguments`, `1 to 2 arguments`."""
        count = (str(self.min_args) if self.min_args == self.max_args
                 else f"{self.min_args} to {self.max_args}")
        return f"{count} argument{'' if count == '1' else 's'}"

    def null_value(self, call, threshold: float) -> float:
        if self.null is not None:
            return float(self.null(call, threshold))
        return 0.0 if self.null_is_zero else float(threshold)


def function(name: str, n_args: int | tuple[int, int], kind: str, doc: str, evaluate, *,
             kwargs=None, required=(), **rest) -> MeasureFunction:
    """A MeasureFunction, written compactly by the modules that define them."""
    lo, hi = (n_args, n_args) if isinstance(n_args, int) else n_args
    return MeasureFunction(name, lo, hi, kind, doc, dict(kwargs or {}), frozenset(required),
                           evaluate=evaluate, **rest)
