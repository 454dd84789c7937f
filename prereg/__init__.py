"""specc.prereg: the pre-registration.

    lock.py        the frozen confirmatory content (`<spec dir>/<name>.lock.json`), amendments
    deviations.py  the spec (after its profile) against the lock, field by field, with effects
    report.py      `specc prereg`: freeze or amend, then render reports/<name>/preregistration.md

It reads the compiled plan — the typed hypotheses and parsed gates — never the spec's
measure, expect or gate text. The decision rule in words is part of every typed
hypothesis, so it is written by the compiler (specc.compiler.rules) and printed here.
Above the compiler and the design diagnostics; below the runtime, the reports and the CLI.
"""
