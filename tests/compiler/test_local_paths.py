"""Every local path a spec names lies inside the data roots: `hf:` folders, model `path:`
(every file, symlinks resolved), `hub:` names that are local folders; local folders'
contents are in the cache keys."""
import os
from pathlib import Path

import pytest

from specc.compiler import SpecErrors, compile_spec

HEADER = """\
specc: 1
name: paths
title: Paths
question: Where may a spec read from?
"""


def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "corpus.txt").write_text("one line\nanother line\n")
    return root


def errors(spec: Path) -> list[str]:
    with pytest.raises(SpecErrors) as info:
        compile_spec(spec)
    return [d.message for d in info.value.diagnostics]


def hf_spec(root: Path, folder: str) -> Path:
    spec = root / "spec.yaml"
    spec.write_text(HEADER + f"data:\n  rows: {{hf: {folder}, revision: main}}\n"
                    "stages:\n  stats: {op: train.tokenizer, data: rows, vocab_size: 300}\n")
    return spec


def test_hf_local_folder_outside_the_roots_is_refused(tmp_path):
    root = repo(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.csv").write_text("text\nsecret\n")
    message, = errors(hf_spec(root, str(outside)))
    assert message.startswith(f"data.rows.hf: data.rows.hf '{outside}' resolves to {outside}, outside")
    # relative and symlinked spellings too
    (root / "data" / "link").symlink_to(outside)
    message, = errors(hf_spec(root, "data/link"))
    assert f"resolves to {outside}, outside the allowed data roots" in message


def test_hf_local_folder_inside_the_roots_is_keyed_by_its_content(tmp_path):
    root = repo(tmp_path)
    folder = root / "data" / "rows"
    folder.mkdir()
    (folder / "train.csv").write_text("text\na\n")
    plan = compile_spec(hf_spec(root, "./data/rows"))
    assert plan.data["rows"].files == (folder.resolve(),)   # workers get the absolute folder
    first = plan.tasks[0].key
    (folder / "train.csv").write_text("text\nb\n")
    assert compile_spec(hf_spec(root, "./data/rows")).tasks[0].key != first


def model_spec(root: Path, model: str) -> Path:
    spec = root / "spec.yaml"
    spec.write_text(HEADER + f"data:\n  corpus: {{text: data/corpus.txt}}\nmodels:\n  base: {model}\n"
                    "stages:\n  ppl: {op: eval.perplexity, model: base, data: corpus}\n")
    return spec


def saved_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "gpt2"}')
    (folder / "model.safetensors").write_bytes(b"weights-1")
    return folder


def test_model_path_outside_the_roots_is_refused(tmp_path):
    root = repo(tmp_path)
    saved_model(tmp_path / "outside-model")
    message, = errors(model_spec(root, "{path: ../outside-model}"))
    assert "models.base.path: models.base.path '../outside-model' resolves to" in message
    assert message.endswith("outside the allowed data roots")


def test_a_file_of_a_model_folder_linking_outside_is_refused(tmp_path):
    root = repo(tmp_path)
    folder = saved_model(root / "models" / "m")
    secret = tmp_path / "id_rsa"
    secret.write_text("key")
    (folder / "tokenizer.json").symlink_to(secret)
    message, = errors(model_spec(root, "{path: models/m}"))
    assert message == (f"models.base.path: models.base.path 'models/m': tokenizer.json resolves to {secret}, "
                       "outside the allowed data roots")


def test_swapping_the_weights_of_a_path_model_changes_its_keys(tmp_path):
    root = repo(tmp_path)
    folder = saved_model(root / "models" / "m")
    first = compile_spec(model_spec(root, "{path: models/m}")).tasks[0].key
    assert compile_spec(model_spec(root, "{path: models/m}")).tasks[0].key == first
    (folder / "model.safetensors").write_bytes(b"weights-2")
    assert compile_spec(model_spec(root, "{path: models/m}")).tasks[0].key != first


def test_hub_names_that_are_local_folders_are_refused(tmp_path, monkeypatch):
    root = repo(tmp_path)
    saved_model(tmp_path / "outside-model")
    message, = errors(model_spec(root, "{hub: ../outside-model, revision: main}"))
    assert message.startswith("models.base.hub: '../outside-model' names a local folder")
    # a plain hub id that happens to exist in the working directory would load that folder
    saved_model(tmp_path / "cwd" / "gpt2")
    monkeypatch.chdir(tmp_path / "cwd")
    message, = errors(model_spec(root, "{hub: gpt2, revision: main}"))
    assert message.startswith("models.base.hub: 'gpt2' names a local folder")
    monkeypatch.chdir(root)
    assert compile_spec(model_spec(root, "{hub: gpt2, revision: main, n_params: 100}")).tasks
