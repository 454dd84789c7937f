"""Which image a run uses: the pinned one, refused when it differs, a deviation when allowed."""
from __future__ import annotations

import pytest

from specc.containers import resolve
from specc.containers.engine import Engine
from specc.containers.imagelock import read_image_lock, write_image_lock
from specc.containers.resolve import ContainerRequest, ImageRefused, resolve_image, wanted
from specc.containers.variants import ImageError

A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64
ENV = {"specc": "0.1.0", "python": "3.11.2", "packages": {"torch": "2.13.0+cpu"}, "image": A}


class FakeEngine:
    name = "podman"

    def __init__(self, images):
        self.images = images   # reference (tag or digest) -> image ID

    def image_id(self, ref):
        return self.images.get(ref)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    folder = tmp_path / "containers"
    folder.mkdir()
    write_image_lock(folder, "cpu", {"digest": A, "tag": "localhost/specc:cpu", "environment": ENV,
                                     "os": "Debian GNU/Linux 12 (bookworm)"})
    monkeypatch.setattr(resolve, "inside_image", lambda: None)
    monkeypatch.setattr(resolve, "_probe", lambda engine, digest: ({**ENV, "image": digest}, "Debian (changed)"))
    return folder


def engine_with(monkeypatch, images):
    monkeypatch.setattr(Engine, "find", classmethod(lambda cls, name=None: FakeEngine(images)))


def test_the_pinned_image_runs_with_the_lock_environment(folder, monkeypatch):
    engine_with(monkeypatch, {"localhost/specc:cpu": A, A: A})
    image = resolve_image(folder)
    assert (image.digest, image.locked, image.deviations) == (A, A, [])
    assert image.environment == ENV and image.os == "Debian GNU/Linux 12 (bookworm)"


def test_untagged_but_present_pinned_image_still_runs(folder, monkeypatch):
    engine_with(monkeypatch, {A: A})
    assert resolve_image(folder).digest == A


def test_a_changed_image_is_refused(folder, monkeypatch):
    engine_with(monkeypatch, {"localhost/specc:cpu": B, A: A})
    with pytest.raises(ImageRefused, match=rf"is {B}, but .*image.lock pins {A}.*--allow-image-change"):
        resolve_image(folder)


def test_allowed_change_runs_in_the_new_image_and_records_a_deviation(folder, monkeypatch):
    engine_with(monkeypatch, {"localhost/specc:cpu": B})
    image = resolve_image(folder, allow_change=True)
    assert image.digest == B and image.locked == A
    assert image.environment["image"] == B            # the key names the image that ran
    assert image.os == "Debian (changed)"
    [dev] = image.deviations
    assert (dev["locked"], dev["now"]) == (A, B) and "--allow-image-change" in dev["effect"]


def test_missing_image_or_variant_says_how_to_build_it(folder, monkeypatch):
    engine_with(monkeypatch, {})
    with pytest.raises(ImageError, match="specc image build --variant cpu"):
        resolve_image(folder)
    with pytest.raises(ImageError, match="pins no cuda image"):
        resolve_image(folder, "cuda")


def test_inside_the_image_the_node_digest_counts(folder, monkeypatch):
    monkeypatch.setattr(resolve, "inside_image", lambda: B)
    with pytest.raises(ImageRefused):
        resolve_image(folder)
    monkeypatch.setattr(resolve, "inside_image", lambda: A)
    image = resolve_image(folder, here_environment=ENV)
    assert image.engine is None and image.digest == A


def test_spec_and_command_line_decide_whether_to_use_a_container():
    from specc.compiler.spec_model import Container
    assert wanted(None, None) is None                                                   # host run
    assert wanted(Container(), None) == ("cpu", None, False)                            # runtime: {container: cpu}
    assert wanted(None, ContainerRequest(enabled=True)) == ("cpu", None, False)         # --container
    assert wanted(Container(variant="cuda", engine="docker"), ContainerRequest(allow_change=True)) == \
        ("cuda", "docker", True)
    assert wanted(Container(), ContainerRequest(variant="cpu", engine="podman")) == ("cpu", "podman", False)
    assert wanted(Container(), ContainerRequest(enabled=False)) is None                 # validate


def test_the_spec_compiles_with_the_image_environment_in_its_keys(folder, monkeypatch):
    from specc.compiler import compile_spec
    engine_with(monkeypatch, {"localhost/specc:cpu": A})
    spec = folder.parent / "spec.yaml"
    spec.write_text("specc: 1\nname: boxed\ntitle: t\nquestion: q\nstages:\n"
                    "  tok: {op: tiny.value, value: 1}\nruntime: {container: cpu}\n")
    boxed = compile_spec(spec)
    assert boxed.image.digest == A and boxed.image.lock_file == "containers/image.lock"
    host = compile_spec(spec, container=ContainerRequest(enabled=False))
    assert host.image is None and host.env != boxed.env and host.tasks[0].key != boxed.tasks[0].key
    engine_with(monkeypatch, {"localhost/specc:cpu": B})
    from specc.compiler.errors import SpecErrors
    with pytest.raises(SpecErrors, match="runtime.container: the cpu image here"):
        compile_spec(spec)
    assert read_image_lock(folder)["cpu"]["digest"] == A
