"""Names and messages holding terminal escape sequences are shown, never sent raw."""
from typer.testing import CliRunner

from specc.cli import app
from specc.terminal import visible

runner = CliRunner()

SPEC = """\
specc: 1
name: escapes
title: Escapes
question: Are escapes shown?
conditions:
  x: ["a\\e]52;c;ZXZpbA==\\a", "b\\e[2J\\r", "c\\u202e"]
stages:
  values: {op: tiny.value, over: [x], value: 1}
"""


def test_visible_escapes_controls_and_bidi_overrides():
    assert visible("a\x1b[2Jb\rc\x07\u202e\x9b\td\n") == "a\\x1b[2Jb\\x0dc\\x07\\u202e\\x9b\td\n"


def test_task_ids_with_escape_sequences_are_printed_visibly(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    result = runner.invoke(app, ["plan", str(spec), "--tasks"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    assert "values/x=a\\x1b]52;c;ZXZpbA==\\x07" in result.output
    assert "\\x1b[2J\\x0d" in result.output and "c\\u202e" in result.output


def test_diagnostics_quoting_user_text_are_printed_visibly(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("tiny.value, over", "tiny.value, \"\\e[2Jbad\": 1, over"))
    result = runner.invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\\x1b[2Jbad" in result.output
