"""Helpers of the lock and deviation tests: a small spec of tiny ops, written to a tmp folder.

    write_spec(folder, edit=None)  writes spec.yaml (BASE, then each (old, new) text edit),
                                   returns its path
    NOW, COMMIT                    a fixed time and commit, so locks are deterministic
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
LATER = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)
COMMIT = "0123456789abcdef0123456789abcdef01234567"

BASE = """\
specc: 1
name: lock-test
title: Lock test
question: Does the lock hold?
authors: [A. Author]
seed: 7
conditions:
  x: [1, 2]
stages:
  values:
    op: tiny.value
    over: [x]
    value: ${x}
    doc: one value per condition
  other:
    op: tiny.value
    value: 3
hypotheses:
  H1:
    statement: Values are positive.
    measure: mean(values.value)
    expect: "> 0.5"
    interval: {unit: condition}
  H2:
    statement: The other value is big.
    measure: mean(other.value)
    expect: ">= 1"
    interval: {method: none}
    test: {method: t}
decision: {alpha: 0.05, correction: holm}
budget: {gpu_hours: 1}
profiles:
  smoke:
    conditions.x: [1]
    hypotheses.H2.expect: ">= 2"
"""


def write_spec(folder: Path, *edits: tuple[str, str], text: str | None = None) -> Path:
    text = BASE if text is None else text
    for old, new in edits:
        assert old in text, f"edit target {old!r} not in the spec"
        text = text.replace(old, new, 1)
    path = folder / "spec.yaml"
    path.write_text(text)
    return path


def compiled(folder: Path, *edits: tuple[str, str], profile: str | None = None):
    from specc.compiler import compile_spec
    return compile_spec(write_spec(folder, *edits), profile=profile)
