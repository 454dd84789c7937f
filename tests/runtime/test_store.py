"""The artifact store: atomic commits, manifests, and nothing partial ever visible."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from specc.runtime.store import ArtifactStore

KEY = "ab" + "0" * 62


def _write(store: ArtifactStore, key: str = KEY, text: str = "hello") -> dict:
    folder = store.begin(key)
    (folder / "table.parquet").write_text(text)
    (folder / "model").mkdir()
    (folder / "model" / "weights.bin").write_bytes(b"\0" * 100)
    return store.commit(key, folder, {"task": "t", "op": "tiny.value"})


def test_commit_makes_a_complete_artifact_with_a_manifest(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    assert not store.has(KEY)
    _write(store)
    manifest = store.manifest(KEY)
    assert manifest["key"] == KEY and manifest["task"] == "t"
    assert manifest["files"] == {"model/weights.bin": 100, "table.parquet": 5}
    assert (store.local_path(KEY) / "table.parquet").read_text() == "hello"
    assert os.listdir(tmp_path / "store" / ".tmp") == []  # the work folder became the artifact


def test_an_artifact_missing_a_file_or_with_a_wrong_size_is_not_a_hit(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    _write(store)
    weights = store.local_path(KEY) / "model" / "weights.bin"
    weights.write_bytes(b"\0" * 50)
    assert not store.has(KEY)
    weights.unlink()
    assert not store.has(KEY)


def test_a_corrupt_or_foreign_manifest_is_not_a_hit(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    _write(store)
    manifest = store.local_path(KEY) / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "key": "cd" + "1" * 62}))
    assert not store.has(KEY)
    manifest.write_text("{not json")
    assert not store.has(KEY)


def test_the_second_commit_of_a_key_keeps_the_first(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    _write(store, text="first")
    second = _write(store, text="later")
    assert (store.local_path(KEY) / "table.parquet").read_text() == "first"
    assert second["files"]["table.parquet"] == 5 and store.has(KEY)


def test_a_leftover_without_a_manifest_is_replaced_on_commit(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    leftover = tmp_path / "store" / KEY[:2] / KEY
    leftover.mkdir(parents=True)
    (leftover / "junk").write_text("half")
    _write(store)
    assert store.has(KEY) and not (store.local_path(KEY) / "junk").exists()


WRITER = """
import sys, time
from pathlib import Path
from specc.runtime.store import ArtifactStore
store = ArtifactStore(sys.argv[1])
folder = store.begin(sys.argv[2])
with open(folder / "big.bin", "wb") as f:
    for _ in range(10_000):
        f.write(b"x" * 65536)
        f.flush()
        print("writing", flush=True)
        time.sleep(0.01)
store.commit(sys.argv[2], folder, {})
"""


def test_a_writer_killed_mid_write_leaves_nothing_visible(tmp_path):
    root = tmp_path / "store"
    ArtifactStore(root)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root), KEY], stdout=subprocess.PIPE, text=True)
    for _ in range(5):  # it is half-way through writing
        assert proc.stdout.readline().startswith("writing")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = ArtifactStore(root)
    assert not store.has(KEY)
    assert not (root / KEY[:2]).exists()  # nothing under the key's address at all
    partial = list((root / ".tmp").iterdir())
    assert len(partial) == 1 and (partial[0] / "big.bin").stat().st_size > 0  # only in .tmp


def test_fsspec_memory_store_commits_manifest_last_and_fetches_locally(tmp_path):
    pytest.importorskip("fsspec")
    store = ArtifactStore("memory://specc-test-store")
    _write(store, text="remote")
    assert store.has(KEY)
    local = store.local_path(KEY, cache_dir=tmp_path / "cache")
    assert (local / "table.parquet").read_text() == "remote"
    assert (local / "model" / "weights.bin").stat().st_size == 100
    store.fs.rm(store.path(KEY) + "/model/weights.bin")  # a partial upload: data missing
    assert not store.has(KEY)
    store.remove(KEY)
