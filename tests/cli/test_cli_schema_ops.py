"""`specc schema` matches the committed schema; `specc ops` lists and explains ops."""
import json
from pathlib import Path

from typer.testing import CliRunner

from specc.cli import app
from specc.ops import OPS

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def test_committed_schema_is_current():
    result = runner.invoke(app, ["schema", "--builtin"])
    assert result.exit_code == 0
    committed = (ROOT / "schema" / "spec-v1.json").read_text()
    assert json.loads(result.output) == json.loads(committed), "run: specc schema --builtin > schema/spec-v1.json"


def test_schema_includes_plugin_ops_unless_builtin_only():
    ops = json.loads(runner.invoke(app, ["schema"]).output)["$defs"]["Stage"]["properties"]["op"]["enum"]
    assert "tiny.value" in ops  # the tests load tests/plugins/tiny_ops.py
    builtin = json.loads(runner.invoke(app, ["schema", "--builtin"]).output)["$defs"]["Stage"]["properties"]["op"]["enum"]
    assert "tiny.value" not in builtin and "train.pretrain" in builtin


def test_ops_lists_every_op():
    result = runner.invoke(app, ["ops"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    for name in OPS:
        assert name in result.output


def test_ops_shows_params_of_one_op():
    result = runner.invoke(app, ["ops", "train.pretrain"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    from specc.ops import OPS
    assert "checkpoint_every" in result.output
    assert f"train.pretrain (version {OPS.get('train.pretrain').version})" in result.output


def test_ops_unknown_name_suggests():
    result = runner.invoke(app, ["ops", "eval.perplexty"])
    assert result.exit_code == 2
    assert "did you mean 'eval.perplexity'?" in result.output
