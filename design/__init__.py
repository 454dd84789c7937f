"""Design diagnostics: what a plan can decide before any GPU-hour is spent (power, minimal
detectable effects, units per hypothesis)."""
