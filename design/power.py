"""Power and minimal detectable effect of one decision rule, before anything runs.

A hypothesis is *supported* when its interval lies wholly on the expected side of the
threshold and its (corrected) p is below alpha. For a one-sided `expect` both are
one-sided tests of the threshold, so the rule is a test at

    alpha_eff = min(alpha_corrected, (1 - level) / 2)       (interval and p both required)

and its power is that test's power. The analytic forms (statsmodels' power classes,
Fisher z) model the rule's test; bootstrap intervals are modelled by the t or normal
test they approximate. Rules with no analytic form (Wilcoxon, permutation) are
simulated: data drawn under the assumption, the declared test applied, seeded.

Effects are on the measure's own scale where it has one (a correlation's rho, a
proportion), else in units of the per-unit standard deviation unless `sd` is assumed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

TARGET_POWER = 0.8
FAMILIES = ("mean", "proportion", "paired", "two_sample", "correlation")
# Fisher-z variance of atanh(r) is c / (n - k): Pearson 1/(n-3), Spearman 1.06/(n-3)
# (Fieller et al. 1957), Kendall 0.437/(n-4) -- the same forms the verdicts use.
FISHER = {"pearson": (1.0, 3), "spearman": (1.06, 3), "kendall": (0.437, 4)}
SIMULATED_TESTS = ("wilcoxon", "permutation", "binomial")


@dataclass(frozen=True)
class Rule:
    """What deciding the hypothesis amounts to, as a test of its threshold."""

    family: str                 # one of FAMILIES
    n: int                      # units (first arm for two_sample)
    threshold: float            # on the measure's scale (a difference for paired/two_sample)
    side: str                   # "larger" | "smaller" | "two-sided"
    alpha: float                # after the family-wise correction
    method: str = "t"           # the declared test, or the interval method when none
    level: float | None = 0.95  # interval level; None when the rule has no interval
    n2: int | None = None       # second arm (two_sample)
    correlation: str = "pearson"

    def __post_init__(self) -> None:
        assert self.family in FAMILIES, self.family
        assert self.side in ("larger", "smaller", "two-sided"), self.side

    @property
    def alpha_eff(self) -> float:
        """The level the rule tests at: the stricter of the p threshold and the interval."""
        if self.level is None:
            return self.alpha
        interval_alpha = (1 - self.level) / (2 if self.side != "two-sided" else 1)
        return min(self.alpha, interval_alpha)

    @property
    def tails(self) -> int:
        return 2 if self.side == "two-sided" else 1


@dataclass(frozen=True)
class Assumption:
    value: float | None = None   # the expected value of the measure
    sd: float | None = None      # per-unit standard deviation (means and differences)


@dataclass
class Power:
    units: int
    mde: float | None                 # smallest true value of the measure detected with 80% power
    scale: str                        # "value" (the measure's own scale) or "sd" (a standardised effect)
    power: float | None = None        # at the assumed value
    how: str = ""                     # "analytic (...)" or "simulation (N data sets, seed S)"
    notes: list[str] = field(default_factory=list)


def _z(p: float) -> float:
    return float(stats.norm.ppf(p))


def _sign(rule: Rule) -> float:
    return -1.0 if rule.side == "smaller" else 1.0


# ------------------------------------------------------------------ analytic

def standardised_mde(rule: Rule) -> float | None:
    """Effect size (> 0) the rule's t or normal test detects with 80% power."""
    from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower
    alt = "two-sided" if rule.side == "two-sided" else "larger"
    try:
        if rule.family in ("mean", "paired"):
            if rule.n < 2:
                return None
            return float(TTestPower().solve_power(nobs=rule.n, alpha=rule.alpha_eff, power=TARGET_POWER,
                                                  alternative=alt))
        if rule.family == "two_sample":
            if rule.n < 2 or not rule.n2 or rule.n2 < 2:
                return None
            return float(TTestIndPower().solve_power(nobs1=rule.n, ratio=rule.n2 / rule.n,
                                                     alpha=rule.alpha_eff, power=TARGET_POWER, alternative=alt))
        if rule.family == "proportion":
            return float(NormalIndPower().solve_power(nobs1=rule.n, ratio=0, alpha=rule.alpha_eff,
                                                      power=TARGET_POWER, alternative=alt))
    except (ValueError, RuntimeError, ZeroDivisionError):
        return None
    raise ValueError(f"no standardised effect for {rule.family}")


def standardised_power(rule: Rule, effect: float) -> float:
    """Power of the rule's t or normal test at a standardised effect (> 0: expected side)."""
    from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower
    alt = "two-sided" if rule.side == "two-sided" else "larger"
    if rule.family in ("mean", "paired"):
        return float(TTestPower().power(effect_size=effect, nobs=rule.n, alpha=rule.alpha_eff, alternative=alt))
    if rule.family == "two_sample":
        return float(TTestIndPower().power(effect_size=effect, nobs1=rule.n, ratio=(rule.n2 or rule.n) / rule.n,
                                           alpha=rule.alpha_eff, alternative=alt))
    if rule.family == "proportion":
        return float(NormalIndPower().power(effect_size=effect, nobs1=rule.n, ratio=0, alpha=rule.alpha_eff,
                                            alternative=alt))
    raise ValueError(f"no standardised power for {rule.family}")


def cohens_h(p: float, p0: float) -> float:
    return 2 * math.asin(math.sqrt(p)) - 2 * math.asin(math.sqrt(p0))


def correlation_se(rule: Rule) -> float | None:
    c, k = FISHER[rule.correlation]
    return math.sqrt(c / (rule.n - k)) if rule.n > k else None


def correlation_power(rule: Rule, rho: float) -> float | None:
    se = correlation_se(rule)
    if se is None or not -1 < rho < 1 or not -1 < rule.threshold < 1:
        return None
    shift = (math.atanh(rho) - math.atanh(rule.threshold)) / se
    if rule.side == "two-sided":
        z = _z(1 - rule.alpha_eff / 2)
        return float(stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift))
    return float(stats.norm.sf(_z(1 - rule.alpha_eff) - _sign(rule) * shift))


def correlation_mde(rule: Rule) -> float | None:
    """The true correlation detected with 80% power; None when none in (-1, 1) is."""
    se = correlation_se(rule)
    if se is None or not -1 < rule.threshold < 1:
        return None
    step = (_z(1 - rule.alpha_eff / rule.tails) + _z(TARGET_POWER)) * se
    rho = math.tanh(math.atanh(rule.threshold) + _sign(rule) * step)
    return rho if abs(rho) < 0.9995 else None


def proportion_mde(rule: Rule) -> float | None:
    h = standardised_mde(rule)
    if h is None:
        return None
    angle = math.asin(math.sqrt(rule.threshold)) + _sign(rule) * h / 2
    return math.sin(angle) ** 2 if 0 < angle < math.pi / 2 else None


def analyse(rule: Rule, assume: Assumption | None = None, seed: int = 0, n_sims: int = 2000) -> Power:
    """Minimal detectable effect and, when an effect is assumed, the power there (the
    declared test simulated where it has no analytic form)."""
    assume = assume or Assumption()
    out = Power(units=rule.n, mde=None, scale="value",
                how=f"analytic: {_analytic_name(rule)} at alpha {rule.alpha_eff:.3g}, "
                    f"{'two' if rule.tails == 2 else 'one'}-sided")
    if rule.family == "correlation":
        out.mde = correlation_mde(rule)
        if assume.value is not None:
            out.power = correlation_power(rule, assume.value)
    elif rule.family == "proportion":
        out.mde = proportion_mde(rule)
        if assume.value is not None and 0 <= assume.value <= 1 and 0 < rule.threshold < 1:
            out.power = standardised_power(rule, _sign(rule) * cohens_h(assume.value, rule.threshold))
    else:
        d = standardised_mde(rule)
        if d is not None and assume.sd:
            out.mde = rule.threshold + _sign(rule) * d * assume.sd
        elif d is not None:
            out.mde, out.scale = d, "sd"
        if assume.value is not None and assume.sd:
            out.power = standardised_power(rule, _sign(rule) * (assume.value - rule.threshold) / assume.sd)
        elif assume.value is not None:
            out.notes.append("the power at the assumed value needs the per-unit standard deviation: "
                             "add `sd` to `assume`")
    if out.mde is None:
        out.notes.append(f"no true value reaches 80% power with {rule.n} units")
    if (out.power is not None and rule.method in SIMULATED_TESTS and rule.family != "correlation"
            and (rule.family == "proportion" or assume.sd)):
        out.power = simulate(rule, assume, n_sims=n_sims, seed=seed)
        out.how += f"; power simulated: the {rule.method} test on {n_sims} data sets drawn under `assume` (seed {seed})"
    return out


def _analytic_name(rule: Rule) -> str:
    return {"correlation": f"Fisher z of {rule.correlation}'s coefficient",
            "proportion": "normal approximation (Cohen's h)",
            "two_sample": "two-sample t", "paired": "paired t"}.get(rule.family, "one-sample t")


# ------------------------------------------------------------------ simulation

def simulate(rule: Rule, assume: Assumption, n_sims: int = 2000, seed: int = 0,
             n_permutations: int = 999) -> float:
    """Share of data sets drawn under `assume` on which the declared test rejects the
    threshold at alpha_eff with the estimate on the expected side. Means and differences
    are drawn normal (sd as assumed, else 1), proportions Bernoulli, correlations
    bivariate normal (tested by Fisher z of the declared coefficient)."""
    if assume.value is None:
        raise ValueError("simulation needs an assumed value")
    rng = np.random.default_rng(seed)
    n, theta = rule.n, rule.threshold
    alt = {"larger": "greater", "smaller": "less"}.get(rule.side, "two-sided")
    if rule.family == "correlation":
        return _simulate_correlation(rule, assume.value, rng, n_sims, alt)
    if rule.family == "proportion":
        x = rng.binomial(1, assume.value, size=(n_sims, n)).astype(float)
    else:
        x = rng.normal(assume.value, assume.sd or 1.0, size=(n_sims, n))
    if rule.method == "binomial":   # exact test of the rows' success rate against the threshold
        p = np.array([stats.binomtest(int(row.sum()), n, theta, alternative=alt).pvalue for row in x])
        est = x.mean(1) - theta
    elif rule.family == "two_sample":
        y = rng.normal(0.0, assume.sd or 1.0, size=(n_sims, rule.n2 or n))
        p = _two_sample_p(rule.method, x - theta, y, alt)
        est = x.mean(1) - y.mean(1) - theta
    else:
        p = _one_sample_p(rule.method, x - theta, alt, rng, n_permutations)
        est = x.mean(1) - theta
    side = est > 0 if alt == "greater" else est < 0 if alt == "less" else np.ones(len(est), bool)
    return float(np.mean((p < rule.alpha_eff) & side))


def _simulate_correlation(rule: Rule, rho: float, rng, n_sims: int, alt: str) -> float:
    data = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=(n_sims, rule.n))
    coefficient = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}[rule.correlation]
    r = np.array([coefficient(d[:, 0], d[:, 1])[0] for d in data])
    z = (np.arctanh(np.clip(r, -0.999999, 0.999999)) - math.atanh(rule.threshold)) / correlation_se(rule)
    p = stats.norm.sf(z) if alt == "greater" else stats.norm.cdf(z) if alt == "less" else 2 * stats.norm.sf(abs(z))
    return float(np.mean(p < rule.alpha_eff))


def _one_sample_p(method: str, diff: np.ndarray, alt: str, rng, n_permutations: int) -> np.ndarray:
    if method in ("t", "bca", "percentile", "basic", "none"):
        return stats.ttest_1samp(diff, 0.0, axis=1, alternative=alt).pvalue
    if method == "wilcoxon":
        return np.array([stats.wilcoxon(row, alternative=alt).pvalue if np.any(row) else 1.0 for row in diff])
    if method == "permutation":   # sign flips of (x - threshold), as the verdicts do
        signs = rng.choice([-1.0, 1.0], size=(n_permutations, diff.shape[1]))
        observed = diff.mean(1)
        null = diff @ signs.T / diff.shape[1]               # data sets x permutations
        if alt == "greater":
            extreme = null >= observed[:, None]
        elif alt == "less":
            extreme = null <= observed[:, None]
        else:
            extreme = np.abs(null) >= np.abs(observed)[:, None]
        return (1 + extreme.sum(1)) / (n_permutations + 1)
    raise ValueError(f"no simulation for the {method} test")


def _two_sample_p(method: str, x: np.ndarray, y: np.ndarray, alt: str) -> np.ndarray:
    if method in ("t", "bca", "percentile", "basic", "none"):
        return stats.ttest_ind(x, y, axis=1, equal_var=False, alternative=alt).pvalue
    if method == "wilcoxon":
        return stats.mannwhitneyu(x, y, axis=1, alternative=alt).pvalue
    raise ValueError(f"no simulation for a two-sample {method} test")
