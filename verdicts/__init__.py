"""specc.verdicts: compute each hypothesis's measure on the run's tables and decide it.

    from specc.verdicts import judge
    results = judge(plan, tables, ["H1"], unavailable={}, phase=1)

`tables`: specc.runtime.tables.MeasureTables in a run, FrameTables in tests.

Modules: tables (what a measure reads), cells + evaluate + weighted (the measure,
for the estimate and for batches of bootstrap resamples), intervals (scipy's
bootstrap, Fisher z), significance (declared tests), decide (rules, correction),
judge (all of it for a set of hypotheses), result (the JSON-able outcome).
"""
from .cells import MeasureEvalError
from .evaluate import PreparedMeasure
from .judge import judge
from .result import (INCONCLUSIVE, NOT_TESTED, REFUTED, STATUSES, SUPPORTED, HypothesisResult,
                     Interval, TestResult)
from .tables import FrameTables

__all__ = ["judge", "FrameTables", "PreparedMeasure", "MeasureEvalError",
           "HypothesisResult", "Interval", "TestResult", "STATUSES", "SUPPORTED", "REFUTED",
           "INCONCLUSIVE", "NOT_TESTED"]
