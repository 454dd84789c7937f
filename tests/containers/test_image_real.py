"""The real thing: build the CPU image offline, run a tiny spec's tasks inside it.

Slow the first time on a machine (debootstrap, ~500 MB of wheels, the build: 10-25 minutes on
the 2-core VM); later builds reuse the cached base and wheelhouse and the engine's layers. The
cache is SPECC_CONTAINER_CACHE, else ~/.cache/specc/containers: one per machine, so that fresh
clones (CI) on a machine that built the image once do not start from nothing.
Needs podman (or docker) and debootstrap: `.ci/run` installs them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from specc.containers.build import build_image
from specc.containers.engine import Engine
from specc.containers.variants import ImageError

pytestmark = [pytest.mark.slow, pytest.mark.container]

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
NAME = "localhost/specc-test"    # never the developer's own localhost/specc tags
SPEC = f"""\
specc: 1
name: {{name}}
title: Container smoke
question: Do tasks give the same numbers inside the pinned image?
data:
  corpus: {{{{text: "{SHARED}/corpora/tinyshakespeare.txt"}}}}
  docs: {{{{jsonl: docs.jsonl}}}}
models:
  tiny: {{{{init: gpt2, n_layer: 1, n_embd: 32, n_head: 2, n_positions: 32}}}}
stages:
  tok: {{{{op: train.tokenizer, data: corpus, vocab_size: 300}}}}
  ppl: {{{{op: eval.perplexity, model: tiny, tokenizer: tok, data: docs, text_field: body}}}}
{{runtime}}"""


def _engine() -> Engine:
    try:
        engine = Engine.find()
    except ImageError as exc:
        pytest.skip(f"no container engine: {exc}")
    if not shutil.which("debootstrap"):
        pytest.skip("debootstrap is not installed (apt-get install -y debootstrap)")
    return engine


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A repository with a copy of containers/ (so the committed image.lock stays as it is), its CPU
    image built and pinned; the spec files beside it."""
    engine = _engine()
    root = tmp_path_factory.mktemp("repo")
    (root / ".git").mkdir()
    folder = root / "containers"
    shutil.copytree(REPO / "containers", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "image.lock"))
    (root / "specc.toml").write_text(f'[data]\nroots = ["{SHARED}"]\n')
    corpus = (SHARED / "corpora" / "tinyshakespeare.txt").read_text()
    (root / "docs.jsonl").write_text("".join(json.dumps({"body": corpus[i:i + 300]}) + "\n" for i in (0, 400, 900)))
    (root / "host.yaml").write_text(SPEC.format(name="container-smoke", runtime=""))
    (root / "pinned.yaml").write_text(SPEC.format(name="container-pinned", runtime="runtime: {container: cpu}\n"))
    saved = {k: os.environ.get(k) for k in ("SPECC_CONTAINER_CACHE", "SPECC_IMAGE_NAME")}
    machine_cache = Path.home() / ".cache" / "specc" / "containers"
    os.environ["SPECC_CONTAINER_CACHE"] = saved["SPECC_CONTAINER_CACHE"] or str(machine_cache)
    os.environ["SPECC_IMAGE_NAME"] = NAME
    try:
        record = build_image(folder, "cpu", engine.name, checkout=REPO, log=lambda m: print(m, file=sys.stderr))
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return root, record, engine


def specc(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=root, capture_output=True, text=True,
                          env=env, timeout=1800)


def artifacts(root: Path, spec: str, *flags: str) -> dict[str, tuple[dict, Path]]:
    """task id -> (manifest, folder), from the plan `specc plan --json` prints with these flags."""
    done = specc(root, "plan", spec, "--json", *flags)
    assert done.returncode == 0, done.stderr
    out = {}
    for task in json.loads(done.stdout)["tasks"]:
        folder = root / ".specc" / "store" / task["key"][:2] / task["key"]
        out[task["id"]] = (json.loads((folder / "manifest.json").read_text()), folder)
    return out


def test_build_pins_the_image_in_the_lock(built):
    root, record, engine = built
    lock = json.loads((root / "containers" / "image.lock").read_text())["images"]["cpu"]
    assert lock["digest"] == record["digest"] == engine.image_id(f"{NAME}:cpu")
    assert lock["os"] == "Debian GNU/Linux 12 (bookworm)" and lock["base"]["kind"] == "debootstrap"
    assert lock["environment"]["image"] == lock["digest"]
    assert lock["environment"]["packages"]["torch"] == "2.13.0+cpu"
    assert any(p.startswith("python3=") for p in lock["debian_packages"])
    shown = specc(root, "image", "show")
    assert shown.returncode == 0 and record["digest"] in shown.stdout and "present here" in shown.stdout


def test_tasks_run_inside_the_image_and_match_the_host(built):
    root, record, _ = built
    host = specc(root, "run", "host.yaml", "--plain")
    assert host.returncode == 0, host.stderr[-3000:]
    boxed = specc(root, "run", "host.yaml", "--plain", "--container")
    assert boxed.returncode == 0, boxed.stderr[-3000:]
    on_host, in_image = artifacts(root, "host.yaml"), artifacts(root, "host.yaml", "--container")
    assert {k: v[0]["key"] for k, v in on_host.items()} != {k: v[0]["key"] for k, v in in_image.items()}
    for task_id, (manifest, folder) in in_image.items():
        env = manifest["environment"]
        assert env["image"] == record["digest"]                       # in the key's environment and the manifest
        assert env["container"] == {"image": record["digest"], "os": "Debian GNU/Linux 12 (bookworm)",
                                    "engine": "podman"} or env["container"]["engine"] == "docker"
        assert env["python"] == record["environment"]["python"]       # the image's Python, not the host's
        assert on_host[task_id][0]["environment"]["image"] is None
    host_tok, image_tok = on_host["tok"][1], in_image["tok"][1]
    assert (host_tok / "tokenizer" / "tokenizer.json").read_bytes() == \
        (image_tok / "tokenizer" / "tokenizer.json").read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(on_host["ppl"][1] / "table.parquet"),
                                  pd.read_parquet(in_image["ppl"][1] / "table.parquet"), check_exact=True)
    report = (root / "reports" / "container-smoke" / "results.md").read_text()
    assert f"**Container image:** `{record['digest']}` (cpu variant" in report


def test_a_changed_image_is_refused_unless_allowed_then_a_deviation(built, tmp_path):
    root, record, engine = built
    context = tmp_path / "changed"
    context.mkdir()
    (context / "Containerfile").write_text(f"FROM {record['digest']}\nRUN echo changed > /etc/specc/changed\n")
    pull = "--pull=never" if engine.name == "podman" else "--pull=false"
    engine.call("build", *engine.limit_args(), "--network", "none", pull, "-t", f"{NAME}:cpu", str(context))
    changed = engine.image_id(f"{NAME}:cpu")
    assert changed != record["digest"]
    try:
        refused = specc(root, "run", "pinned.yaml", "--plain")
        assert refused.returncode == 2
        assert f"is {changed}, but containers/image.lock pins {record['digest']}" in refused.stderr
        assert not (root / "reports" / "container-pinned" / "results.md").exists()   # nothing ran
        allowed = specc(root, "run", "pinned.yaml", "--plain", "--allow-image-change")
        assert allowed.returncode == 0, allowed.stderr[-3000:]
        for manifest, _ in artifacts(root, "pinned.yaml", "--allow-image-change").values():
            assert manifest["environment"]["image"] == changed
        report = (root / "reports" / "container-pinned" / "results.md").read_text()
        assert "### The image differs from the lock" in report
        assert f"| image (this machine) | `{record['digest']}` | `{changed}` |" in report
    finally:
        engine.call("tag", record["digest"], f"{NAME}:cpu")
        engine.call("rmi", changed, check=False)
