"""What deciding a hypothesis produces: one `HypothesisResult` per hypothesis.

Plain data, JSON in and out (`to_dict` / `from_dict`), so that `specc report RUN`
re-renders a report from a stored run without recomputing anything.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Verdicts. A hypothesis whose own `when:` gate stayed closed is not tested at all.
SUPPORTED, REFUTED, INCONCLUSIVE, NOT_TESTED = "supported", "refuted", "inconclusive", "not tested"
STATUSES = (SUPPORTED, REFUTED, INCONCLUSIVE, NOT_TESTED)


@dataclass
class Interval:
    low: float
    high: float
    method: str                  # bca | percentile | basic | fisher_z
    level: float                 # e.g. 0.95
    unit: str                    # the resampling unit (item, UID, seed, condition ...)
    n_units: int                 # distinct units resampled
    n_resamples: int | None      # None for fisher_z


@dataclass
class TestResult:
    method: str                  # permutation | t | wilcoxon | binomial | bootstrap | fisher_z
    alternative: str             # greater | less | two-sided
    null: str                    # the null hypothesis in words, e.g. "mean = 0.5"
    statistic: float | None
    p: float                     # as computed (one-sided when alternative is)
    p_adjusted: float | None = None   # after the family-wise correction (None: not in a family)
    alpha: float = 0.05


@dataclass
class HypothesisResult:
    id: str
    statement: str
    kind: str                    # confirmatory | exploratory (after deviations from the lock)
    measure: str
    expect: str
    status: str                  # one of STATUSES
    rule: str                    # the decision rule applied, in words
    estimate: float | None = None
    interval: Interval | None = None
    test: TestResult | None = None
    reason: str | None = None    # why inconclusive / not tested (failed stage, closed gate, no rows)
    gate: str | None = None      # its own `when:` text
    reads: list[str] = field(default_factory=list)   # stages and data sources the measure reads
    family: int | None = None    # the phase whose confirmatory hypotheses were corrected together
    demoted: str | None = None   # why a confirmatory hypothesis is reported as exploratory
    unit: str | None = None      # the resampling unit (declared or inferred by the compiler)
    unit_inferred: bool = False  # the spec left the unit out: the compiler chose it
    missing_dropped: dict[str, int] | None = None   # `missing: drop`: rows left out, per column

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "HypothesisResult":
        d = dict(d)
        d["interval"] = Interval(**d["interval"]) if d.get("interval") else None
        d["test"] = TestResult(**d["test"]) if d.get("test") else None
        return cls(**d)
