"""`specc validate`: ok lines for good specs, file:line:col and exit 2 for bad ones."""
from pathlib import Path

from typer.testing import CliRunner

from specc.cli import app

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def test_validate_examples_ok():
    specs = sorted(str(p) for p in (ROOT / "specs").glob("[!.]*.yaml"))
    result = runner.invoke(app, ["validate", *specs])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok — ") == len(specs)


def test_validate_reports_every_problem_with_position(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "specc: 1\nname: bad\ntitle: t\nquestion: q\n"
        "stages:\n  tok:\n    op: train.tokeniser\n  pre:\n    op: train.pretrain\n    stesp: 3\n")
    result = runner.invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2
    assert f"{spec}:7:9: stages.tok.op: unknown op 'train.tokeniser'" in result.output
    assert "hint: did you mean 'train.tokenizer'?" in result.output
    assert "Traceback" not in result.output


def test_validate_with_profile(tmp_path):
    result = runner.invoke(app, ["validate", "--profile", "smoke", str(ROOT / "tests" / "specs" / "blimp-toy.yaml")])
    assert result.exit_code == 0, result.output
    assert "4 tasks" in result.output


def test_unknown_profile_is_a_spec_error():
    result = runner.invoke(app, ["validate", "--profile", "smok", str(ROOT / "tests" / "specs" / "blimp-toy.yaml")])
    assert result.exit_code == 2
    assert "unknown profile 'smok'" in result.output and "did you mean 'smoke'?" in result.output


def test_missing_file_is_a_spec_error(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "cannot read spec" in result.output
