"""Signatures of the functions a `measure:` may call, for compile-time checks.

Only names, arities and keyword arguments live here; the statistics themselves
are computed by the evaluator (a later module), which looks each name up here
too, so a spec can never call a function the compiler did not check.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .measure_ast import Call
from .measure_lexer import MeasureError
from .registry import Registry

KWARG_KINDS = ("column", "number")   # a column of the call's table(s) | a numeric literal
FUNCTION_KINDS = ("aggregate", "statistic")


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

    def __post_init__(self) -> None:
        assert self.kind in FUNCTION_KINDS, self.kind
        assert 0 <= self.min_args <= self.max_args, self.name
        assert all(k in KWARG_KINDS for k in self.kwargs.values()), self.kwargs
        assert self.required <= set(self.kwargs), self.required

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


MEASURE_FUNCTIONS: Registry[MeasureFunction] = Registry("measure function")


def _register(name: str, n_args: int, kind: str, doc: str, *, kwargs=None,
              required=(), paired: bool = False) -> None:
    MEASURE_FUNCTIONS.register(name, MeasureFunction(
        name, n_args, n_args, kind, doc, dict(kwargs or {}), frozenset(required), paired))


for _name, _doc in [
    ("mean", "Mean of the column."),
    ("median", "Median of the column."),
    ("sum", "Sum of the column."),
    ("count", "Number of rows (after `where`; groups after `by`)."),
    ("std", "Sample standard deviation of the column (ddof=1)."),
    ("min", "Smallest value of the column."),
    ("max", "Largest value of the column."),
]:
    _register(_name, 1, "aggregate", _doc)

for _name, _doc in [
    ("pearson", "Pearson correlation r of the two columns, joined on their `by` keys."),
    ("spearman", "Spearman rank correlation rho of the two columns, joined on their `by` keys."),
    ("kendall", "Kendall rank correlation tau of the two columns, joined on their `by` keys."),
]:
    _register(_name, 2, "statistic", _doc, paired=True)

_register("diff_means", 2, "statistic", "Mean of the first column minus mean of the second.")
_register("cohens_d", 2, "statistic",
          "Cohen's d: difference of the means over the pooled standard deviation.")
_register("accuracy_vs_chance", 1, "statistic",
          "Mean accuracy minus the chance rate `chance` (e.g. 0.25 for 4 options).",
          kwargs={"chance": "number"}, required=("chance",))
_register("variance_ratio", 1, "statistic",
          "Variance between the `between` groups over variance within them (across `within`).",
          kwargs={"between": "column", "within": "column"}, required=("between", "within"))
_register("icc1", 1, "statistic",
          "Intraclass correlation ICC(1) of `between` groups, replicated across `within`.",
          kwargs={"between": "column", "within": "column"}, required=("between", "within"))
_register("permutation_p", 2, "statistic",
          "Two-sided permutation-test p-value for a difference of means (`n` permutations).",
          kwargs={"n": "number"})

MEASURE_FUNCTIONS.freeze()

# Which declared `test:` applies to which measure: a test needs a measure that is one
# call (under an optional `where`) of these functions (see specc.verdicts.significance).
ONE_SAMPLE = ("mean", "accuracy_vs_chance")
TWO_SAMPLE = ("diff_means", "cohens_d")
CORRELATIONS = ("pearson", "spearman", "kendall")
TESTS_FOR = {"t": ONE_SAMPLE + TWO_SAMPLE + CORRELATIONS,
             "permutation": ONE_SAMPLE + TWO_SAMPLE + CORRELATIONS,
             "wilcoxon": ONE_SAMPLE + TWO_SAMPLE,
             "binomial": ONE_SAMPLE}
