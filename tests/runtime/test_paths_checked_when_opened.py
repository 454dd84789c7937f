"""Local paths are checked again when a task opens them: a symlink re-pointed after
compiling, or a hub name that exists in a worker's working directory, reads nothing."""
from pathlib import Path

import pytest

from specc.compiler import compile_spec
from specc.compiler.datafiles import DataPathError
from specc.runtime.context import TaskContext
from specc.runtime.payload import PayloadBuilder

SPEC = """\
specc: 1
name: paths
title: Paths
question: Checked when opened?
data:
  corpus: {text: data/corpus.txt}
models:
  base: {path: models/m}
stages:
  ppl: {op: eval.perplexity, model: base, data: corpus}
"""


def context(tmp_path: Path) -> tuple[TaskContext, Path]:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "real.txt").write_text("inside the roots\n")
    (root / "data" / "corpus.txt").symlink_to(root / "real.txt")
    folder = root / "models" / "m"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "gpt2"}')
    (root / "spec.yaml").write_text(SPEC)
    plan = compile_spec(root / "spec.yaml")
    payload = PayloadBuilder(plan, str(root / ".specc" / "store"), cpu_only=True).build(plan.tasks[0])
    assert payload.roots and payload.roots[0] == str(root.resolve())
    return TaskContext(payload, None, tmp_path / "out", lambda identity, load: load()), root


def test_a_data_file_relinked_after_compiling_is_refused(tmp_path):
    ctx, root = context(tmp_path)
    assert ctx.data("corpus")["text"] == ["inside the roots"]
    secret = tmp_path / "secret.txt"
    secret.write_text("outside\n")
    resolved = root / "real.txt"   # what the compiler resolved the link to, swapped for a link out
    resolved.unlink()
    resolved.symlink_to(secret)
    with pytest.raises(DataPathError, match="outside the allowed data roots"):
        ctx.data("corpus")


def test_a_model_file_linked_outside_after_compiling_is_refused(tmp_path):
    ctx, root = context(tmp_path)
    secret = tmp_path / "weights.safetensors"
    secret.write_bytes(b"x")
    (root / "models" / "m" / "model.safetensors").symlink_to(secret)
    with pytest.raises(DataPathError, match="model.safetensors resolves to .*outside the allowed data roots"):
        ctx.model("base")
    with pytest.raises(DataPathError, match="outside the allowed data roots"):
        ctx.tokenizer("base")


def test_hub_names_existing_in_the_working_directory_are_refused(tmp_path, monkeypatch):
    from specc.compiler.spec_model import HubModel, HubSource
    from specc.runtime.data import load_hub
    from specc.runtime.models import model_source
    (tmp_path / "org" / "name").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataPathError, match="names a local folder"):
        load_hub(HubSource(hf="org/name", revision="main"))
    with pytest.raises(DataPathError, match="names a local folder"):
        model_source(HubModel(hub="org/name", revision="main"), None, None)
