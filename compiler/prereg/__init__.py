"""specc.compiler.prereg: the pre-registration.

    lock.py        the frozen confirmatory content (`<spec dir>/<name>.lock.json`), amendments
    deviations.py  the spec (after its profile) against the lock, field by field, with effects
    report.py      `specc prereg`: freeze or amend, then render reports/<name>/preregistration.md
    rules.py       a hypothesis's decision rule in words (the compiler puts it on every typed
                   hypothesis; both reports print it)

It reads the compiled plan — the typed hypotheses and parsed gates — never the
spec's measure, expect or gate text.
"""
