"""At the start of a container run on a cluster: does every node have the pinned image?

Each alive node runs a probe (a zero-CPU Ray task pinned to it) that reports the image
it would run tasks in: its own, when the node was started inside the image (its
SPECC_IMAGE_DIGEST, set by the `podman run` that started it; containers/README.md), or
the one its engine holds under the variant's tag or digest. A node that reports another
digest — or none — refuses the run, or with --allow-image-change becomes a deviation in
the results report.
"""
from __future__ import annotations

import socket
from typing import Any

PROBE_TIMEOUT_S = 120


def node_image(variant: str, engine: str | None, tag: str, digest: str) -> dict[str, Any]:
    """On one node: which image its tasks would run in."""
    from specc.containers.resolve import inside_image
    host = socket.gethostname()
    here = inside_image()
    if here is not None:
        return {"node": host, "digest": here, "how": "node runs inside the image"}
    try:
        from specc.containers.engine import Engine
        eng = Engine.find(engine)
        found = digest if eng.image_id(digest) == digest else eng.image_id(tag)
        return {"node": host, "digest": found, "how": f"{eng.name} on the node"}
    except Exception as exc:  # noqa: BLE001 - a node without an engine reports why
        return {"node": host, "digest": None, "how": f"no image: {exc}"}


def check_nodes(image) -> list[dict[str, Any]]:
    """Probe every alive node; raise ImageRefused on a difference unless allowed, else return
    the nodes' reports (the differences are added to `image.deviations`)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    from specc.containers.resolve import ImageRefused, deviation
    probe = ray.remote(num_cpus=0, max_retries=0)(node_image)
    nodes = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
    refs = [probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n, soft=False))
            .remote(image.variant, image.engine, image.tag, image.digest) for n in nodes]
    reports = ray.get(refs, timeout=PROBE_TIMEOUT_S)
    wrong = [r for r in reports if r["digest"] != image.digest]
    if wrong and not image.allow_change:
        listed = "; ".join(f"{r['node']}: {r['digest'] or 'none'} ({r['how']})" for r in wrong)
        raise ImageRefused(f"{len(wrong)} of {len(reports)} nodes do not report the image {image.digest} "
                           f"pinned by {image.lock_file}: {listed}. Start every node from the pinned image "
                           "(containers/README.md), or pass --allow-image-change to report it as a deviation")
    for r in wrong:
        image.deviations.append(deviation(image.locked, r["digest"] or "none", f"node {r['node']}"))
    return reports
