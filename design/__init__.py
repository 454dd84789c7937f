"""Design diagnostics: what a plan can decide before any GPU-hour is spent (units per
hypothesis, minimal detectable effects, power at an assumed effect)."""
from .diagnostics import HypothesisDesign, corrected_alpha, design_diagnostics, design_problems, units_for_power
from .power import Assumption, Power, Rule, analyse, simulate

__all__ = ["Assumption", "HypothesisDesign", "Power", "Rule", "analyse", "corrected_alpha", "design_diagnostics",
           "design_problems", "simulate", "units_for_power"]
