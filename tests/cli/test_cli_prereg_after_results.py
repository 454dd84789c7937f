"""Freezing a pre-registration after the ledger holds results for the spec warns, and the lock
records it; a lock edited by hand makes `specc run` refuse with exit 2."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from specc.cli import app

SPEC = """\
specc: 1
name: late
title: Late pre-registration
question: Is it late?
stages:
  values: {op: tiny.value, value: 3}
hypotheses:
  H1:
    statement: The value is large.
    measure: mean(values.value)
    expect: "> 2"
    interval: {method: none}
    test: {method: t}
"""


def test_prereg_after_results_warns_and_is_recorded(tmp_path):
    from specc.runtime.ledger import Ledger
    (tmp_path / ".git").mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    ledger = Ledger(tmp_path / ".specc" / "ledger.sqlite")
    ledger.db.execute("INSERT INTO runs (id, spec, name, spec_hash, started, status) VALUES "
                      "('20250101-000000-abcdef', ?, 'late', 'h', 1, 'succeeded')", (str(spec.resolve()),))
    ledger.close()
    result = CliRunner().invoke(app, ["prereg", str(spec)])
    assert result.exit_code == 0, result.output
    assert "the ledger already holds 1 run(s) of this spec with verdicts (latest 20250101-000000-abcdef)" in result.output
    lock = json.loads((tmp_path / "late.lock.json").read_text())
    assert lock["after_results"] == {"runs": 1, "latest": "20250101-000000-abcdef"}


def test_run_refuses_a_hand_edited_lock_with_exit_2(tmp_path):
    (tmp_path / ".git").mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    assert CliRunner().invoke(app, ["prereg", str(spec)]).exit_code == 0
    path = tmp_path / "late.lock.json"
    lock = json.loads(path.read_text())
    lock["content"]["hypotheses"]["H1"]["expect"] = "> 1"
    path.write_text(json.dumps(lock))
    result = CliRunner().invoke(app, ["run", str(spec), "--plain"])
    assert result.exit_code == 2, result.output
    assert "edited by hand" in result.output
