"""`specc plan`: per-stage table, totals, Mermaid, and canonical JSON."""
import json
from pathlib import Path

from typer.testing import CliRunner

from specc.cli import app

TOY = str(Path(__file__).parents[2] / "tests" / "specs" / "blimp-toy.yaml")
runner = CliRunner()


def test_plan_table_and_mermaid():
    result = runner.invoke(app, ["plan", TOY])
    assert result.exit_code == 0, result.output
    assert "total: 25 tasks" in result.output
    assert "flowchart LR" in result.output and "pretrain --> score" in result.output


def test_plan_json_lists_every_task():
    result = runner.invoke(app, ["plan", TOY, "--json"])
    assert result.exit_code == 0
    plan = json.loads(result.output)
    assert len(plan["tasks"]) == 25
    stages = {s["stage"]: s for s in plan["stages"]}
    assert stages["score"]["tasks"] == 18 and stages["pretrain"]["gpus"] == 1
    score = next(t for t in plan["tasks"] if t["id"] == "score/model=tiny/seed=2/checkpoint=200")
    assert {"task": "pretrain/model=tiny/seed=2", "select": {"checkpoint": 200}} in score["inputs"]
    assert len(score["key"]) == 64


def test_plan_tasks_flag_lists_ids():
    result = runner.invoke(app, ["plan", TOY, "--profile", "smoke", "--tasks"])
    assert "score/model=tiny/seed=1/checkpoint=20" in result.output
