"""Design diagnostics of a compiled plan: for every confirmatory hypothesis, the units it
will have, the minimal detectable effect at the corrected alpha with 80% power, the power
at the effect the spec assumes (`assume:`), and warnings for hypotheses the design cannot
decide. `specc validate` prints the warnings; `specc plan`, preregistration.md and
results.md show the numbers. `decision: {min_power: P}` turns the warnings into errors.

    designs = design_diagnostics(plan)          # hypothesis id -> HypothesisDesign
    problems = design_problems(plan, designs)   # [Diagnostic] with file:line:col
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .power import Assumption, Power, Rule, analyse
from .units import Units, call_units

CORRELATIONS = ("pearson", "spearman", "kendall")
SIDES = {"greater": "larger", "less": "smaller", "two-sided": "two-sided"}
NEAR_BOUND = 0.1        # an MDE within 10% of the way from the threshold to +-1 is "underpowered"


@dataclass
class HypothesisDesign:
    id: str
    units: int | None
    units_what: str
    alpha: float                       # after the correction (its worst case)
    model: str | None = None           # what the power models ("proportion", "correlation" ...)
    mde: float | None = None
    mde_scale: str = "value"           # "value" or "sd"
    power: float | None = None         # at the assumed effect
    assumed: dict | None = None
    how: str = ""
    warnings: list[str] = field(default_factory=list)
    advice: str = ""                   # what would raise the power

    def to_dict(self) -> dict:
        return {**asdict(self), "summary": self.summary, "mde_text": self.mde_text}

    @property
    def summary(self) -> str:
        """One sentence for the reports."""
        units = f"{self.units:,} units" if self.units is not None else "units unknown before running"
        parts = [f"{units} ({self.units_what})"]
        if self.mde is not None:
            what = "a standardised effect" if self.mde_scale == "sd" else "a true value"
            parts.append(f"with 80% power at alpha {self.alpha:.3g} the rule detects {what} of "
                         f"{self.mde_text} or beyond")
        elif self.model is not None:
            parts.append("no true value reaches 80% power")
        if self.power is not None:
            assumed = ", ".join(f"{k} {v:g}" for k, v in (self.assumed or {}).items())
            parts.append(f"power {self.power:.2f} at the assumed {assumed}")
        return "; ".join(parts)

    @property
    def mde_text(self) -> str:
        if self.mde is None:
            return "none"
        return f"{self.mde:.3g} SD" if self.mde_scale == "sd" else f"{self.mde:.3g}"


def corrected_alpha(alpha: float, correction: str, family_size: int) -> float:
    """The per-hypothesis level in the worst case: Bonferroni's alpha/m, which is also the
    first step of Holm and of Benjamini-Hochberg."""
    return alpha / family_size if correction != "none" and family_size > 1 else alpha


def design_diagnostics(plan, seed: int | None = None) -> dict[str, HypothesisDesign]:
    hyps = {hid: h for hid, h in plan.hypotheses.items() if h.kind == "confirmatory"}
    decision = plan.spec.decision
    out = {}
    for hid, h in hyps.items():
        alpha = corrected_alpha(h.alpha, decision.correction, len(hyps))
        raw = plan.spec.hypotheses[hid].assume
        assume = Assumption(raw.value, raw.sd) if raw is not None else Assumption()
        out[hid] = _design(plan, h, alpha, assume, plan.spec.seed if seed is None else seed)
    return out


def _design(plan, h, alpha: float, assume: Assumption, seed: int) -> HypothesisDesign:
    call = h.call
    assumed = {k: v for k, v in (("value", assume.value), ("sd", assume.sd)) if v is not None} or None
    if call is None:
        return HypothesisDesign(h.id, None, "a measure of several calls: units depend on each", alpha,
                                assumed=assumed, how="not modelled: power is computed for one-call measures")
    if h.series is not None:
        return HypothesisDesign(h.id, None, f"a summary of a series over {h.series.key.text}", alpha,
                                assumed=assumed, how="not modelled: power is computed for one call "
                                "on columns")
    units = call_units(plan, call, h.unit)
    n = min((u.n for u in units if u.n is not None), default=None)
    what = "; ".join(dict.fromkeys(u.what for u in units))
    design = HypothesisDesign(h.id, n, what, alpha, assumed=assumed)
    _check_units(h, n, design)
    rule, assume, shift = _rule(h, call.func.text, units, n, alpha, assume, design)
    if rule is None:
        return design
    result = analyse(rule, assume, seed=seed)
    design.model, design.how = rule.family, result.how
    design.mde = None if result.mde is None else result.mde - shift
    design.mde_scale, design.power = result.scale, result.power
    design.warnings += result.notes
    _judge_power(h, rule, result, design)
    design.advice = _advice(rule, assume, units, design)
    return design


def _check_units(h, n: int | None, design: HypothesisDesign) -> None:
    from specc.verdicts.intervals import MIN_UNITS
    method = h.interval.method
    if n is None or method == "none":
        return
    if method in ("bca", "percentile", "basic") and n < MIN_UNITS and h.test is None:
        design.warnings.append(f"{n} units of {h.unit}: a bootstrap interval needs at least {MIN_UNITS}, "
                               "so this hypothesis can never be supported; declare a test (e.g. t) or add units")
    if method == "fisher_z" and n <= 3:
        design.warnings.append(f"{n} units: a Fisher z interval needs at least 4")


def _rule(h, fn: str, units: list[Units], n: int | None, alpha: float, assume: Assumption,
          design: HypothesisDesign) -> tuple[Rule | None, Assumption, float]:
    """The rule as a test of the threshold, the assumption on its scale, and the shift that
    takes the rule's scale back to the measure's (accuracy_vs_chance)."""
    expect = h.expect
    if expect.comparator in ("==", "between"):
        design.how = f"not modelled: `{expect.comparator}` rules (refutation, equivalence)"
        return None, assume, 0.0
    if n is None or n < 2:
        design.how = "not modelled: the number of units is unknown before running" if n is None else \
            "not modelled: fewer than 2 units"
        return None, assume, 0.0
    side = SIDES[expect.alternative]
    level = h.interval.level if h.interval.method != "none" else None
    method = h.test.method if h.test is not None else h.interval.method
    common = dict(side=side, alpha=alpha, method=method, level=level)
    threshold, shift = expect.threshold, 0.0
    _check_range(fn, h, design)
    if fn in CORRELATIONS:
        return Rule("correlation", n, threshold, correlation=fn, **common), assume, 0.0
    if fn == "accuracy_vs_chance":
        chance = float(h.call.kwarg("chance").value)
        value = None if assume.value is None else assume.value + chance
        return Rule("proportion", n, threshold + chance, **common), Assumption(value, assume.sd), chance
    if fn == "mean":
        proportion = (h.test is not None and h.test.method == "binomial") or (assume.sd is None and 0 < threshold < 1)
        if proportion:
            return Rule("proportion", n, threshold, **common), assume, 0.0
        return Rule("mean", n, threshold, **common), assume, 0.0
    if fn in ("diff_means", "cohens_d"):
        if fn == "cohens_d":
            assume = Assumption(assume.value, 1.0)
        paired = len(units) == 2 and bool(units[0].identity) and units[0].identity == units[1].identity
        if paired:
            return Rule("paired", n, threshold, **common), assume, 0.0
        return Rule("two_sample", units[0].n or n, threshold, n2=units[-1].n or n, **common), assume, 0.0
    design.how = f"not modelled: no power model for {fn}"
    return None, assume, 0.0


def _check_range(fn: str, h, design: HypothesisDesign) -> None:
    t, side = h.expect.threshold, SIDES[h.expect.alternative]
    low, high = {**{c: (-1.0, 1.0) for c in CORRELATIONS}, "cohens_d": (None, None)}.get(fn, (None, None))
    if fn == "accuracy_vs_chance":
        chance = float(h.call.kwarg("chance").value)
        low, high = -chance, 1 - chance
    if low is None:
        return
    if t < low or t > high or (side == "larger" and t >= high) or (side == "smaller" and t <= low):
        design.warnings.append(f"threshold {t:g} is outside what {fn} can exceed ({low:g} to {high:g}): "
                               "no data can support this hypothesis")


def _judge_power(h, rule: Rule, result: Power, design: HypothesisDesign) -> None:
    if result.power is not None and result.power < 0.5:
        design.warnings.append(f"power {result.power:.2f} at the assumed value: the design is more likely "
                               "to miss the effect than to find it")
    if rule.family == "correlation" and result.mde is not None and abs(rule.threshold) < 1:
        bound = 1.0 if rule.side != "smaller" else -1.0
        if abs(bound - result.mde) / abs(bound - rule.threshold) < NEAR_BOUND:
            design.warnings.append(f"underpowered: with {rule.n} units only a true {h.call.func.text} of "
                                   f"{result.mde:.2f} or beyond reaches 80% power")


def _advice(rule: Rule, assume: Assumption, units: list[Units], design: HypothesisDesign) -> str:
    needed = units_for_power(rule, assume)
    label = units[0].what.split(" ", 1)[-1] if units else "units"
    if needed is None:
        return "more units (state `assume:` to see how many)" if design.power is None else ""
    if needed <= rule.n:
        return f"{rule.n} units suffice for 80% power at the assumed value (it needs {needed})"
    return f"80% power at the assumed value needs {needed} units ({label.split(' of ')[0]}), not {rule.n}"


def units_for_power(rule: Rule, assume: Assumption, target: float = 0.8, limit: int = 1_000_000) -> int | None:
    """Fewest units reaching `target` power at the assumed value (analytic), or None."""
    if assume.value is None or (rule.family not in ("correlation", "proportion") and not assume.sd):
        return None

    def power(n: int) -> float:
        r = Rule(rule.family, n, rule.threshold, rule.side, rule.alpha, "t", rule.level,
                 n2=None if rule.n2 is None else max(2, round(n * rule.n2 / rule.n)), correlation=rule.correlation)
        return analyse(r, assume).power or 0.0

    low, high = 2, 4
    while power(high) < target:
        low, high = high, high * 2
        if high > limit:
            return None
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if power(mid) < target else (low, mid)
    return high


def design_problems(plan, designs: dict[str, HypothesisDesign]):
    """The warnings as diagnostics at each hypothesis's `expect:` (errors under min_power)."""
    from specc.compiler.errors import Diagnostics
    from specc.compiler.yaml_source import load_yaml
    _, source_map = load_yaml(plan.path)
    diags = Diagnostics(str(plan.path), source_map)
    min_power = plan.spec.decision.min_power
    for hid, d in designs.items():
        report = diags.error if min_power is not None else diags.warning
        for text in d.warnings:
            report(("hypotheses", hid, "expect"), f"hypotheses.{hid}: {text}",
                   "raise the units or the assumed effect, or revise the threshold")
        if min_power is not None and d.power is None:
            diags.error(("hypotheses", hid), f"hypotheses.{hid}: decision.min_power is {min_power:g} but the "
                        "power is unknown", "state the expected effect: assume: {value: ..., sd: ...}")
        elif min_power is not None and d.power < min_power:
            diags.error(("hypotheses", hid, "assume"), f"hypotheses.{hid}: power {d.power:.2f} at the assumed "
                        f"value is below decision.min_power {min_power:g}", d.advice or None)
    return diags.items


__all__ = ["HypothesisDesign", "corrected_alpha", "design_diagnostics", "design_problems", "units_for_power"]
