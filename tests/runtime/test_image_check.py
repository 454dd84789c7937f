"""The start-time check of a container run: every Ray node must report the pinned digest."""
from __future__ import annotations

import pytest

from specc.containers.resolve import ImageRefused, RunImage
from specc.runtime.image_check import check_nodes, node_image

MISSING = "sha256:" + "0" * 64


def run_image(allow: bool) -> RunImage:
    return RunImage("cpu", "podman", MISSING, MISSING, "localhost/specc-absent:cpu", {}, None,
                    "containers/image.lock", allow, [])


def test_a_node_without_the_image_refuses_the_run(ray_session):
    """Real Ray, a real probe on the node: this machine has no image of that digest."""
    with pytest.raises(ImageRefused, match=rf"1 of 1 nodes do not report the image {MISSING}.*: none"):
        check_nodes(run_image(allow=False))


def test_allowed_it_becomes_a_deviation_per_node(ray_session):
    image = run_image(allow=True)
    [report] = check_nodes(image)
    assert report["digest"] is None
    [dev] = image.deviations
    assert dev["path"] == f"image (node {report['node']})" and (dev["locked"], dev["now"]) == (MISSING, "none")


def test_a_node_started_in_the_image_reports_its_own_digest(monkeypatch):
    monkeypatch.setattr("specc.containers.resolve.inside_image", lambda: MISSING)
    assert node_image("cpu", "podman", "localhost/specc:cpu", "sha256:other")["digest"] == MISSING
