"""`specc run --address`: join a separately started Ray head (a real `ray start --head`
on localhost), run there, and leave that cluster running."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time

import pytest

from runtime_helpers import Project, fan_in, table

SPEC = fan_in("1, 2, 3")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Ray's token authentication, as the README tells cluster users to set it up: the same
# token on the head, on every worker node and for the driver (`specc run --address`).
CLUSTER_ENV = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32), "RAY_USAGE_STATS_ENABLED": "0"}

# The ray CLI of this interpreter (a bare `ray` on PATH may belong to another Python whose
# workers cannot import specc).
RAY = (sys.executable, "-m", "ray.scripts.scripts")


@pytest.fixture
def ray_head(tmp_path):
    port = _free_port()
    # The head gets the plugin variables the way a cluster's nodes would: in their environment.
    env = {**os.environ, **CLUSTER_ENV}
    head = subprocess.Popen([*RAY, "start", "--head", f"--port={port}", "--num-cpus=2", "--block",
                             "--include-dashboard=false"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:  # the head is taken down even when it never came up
        deadline = time.time() + 90
        while subprocess.run([*RAY, "status", f"--address={address}"], env=env,
                             capture_output=True).returncode != 0:
            assert head.poll() is None, "ray start --head exited"
            assert time.time() < deadline, "the Ray head did not come up"
            time.sleep(1)
        yield address
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # --block: the head takes its processes down with it
        head.wait(timeout=60)


@pytest.mark.slow
def test_run_against_a_second_ray_head_on_localhost(ray_head, tmp_path):
    project = Project(tmp_path / "project")
    spec = project.write(SPEC)
    env = {**os.environ, **CLUSTER_ENV, "TINY_OPS_DIR": str(project.root)}

    def specc_run(path):
        return subprocess.run([sys.executable, "-m", "specc", "run", str(path), "--address", ray_head, "--plain"],
                              cwd=project.root, env=env, capture_output=True, text=True, timeout=300)

    first = specc_run(spec)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "4 succeeded" in first.stdout
    from specc.compiler import compile_spec
    assert table(compile_spec(spec), project.root / ".specc" / "store", "total")["total"].tolist() == [6.0]
    from specc.runtime.ledger import Ledger
    assert Ledger(project.root / ".specc" / "ledger.sqlite").run()["address"] == ray_head

    # The cluster outlives the run: a changed spec runs on the same head again.
    changed = project.write(SPEC.replace("x: [1, 2, 3]", "x: [1, 2, 3, 4]"))
    second = specc_run(changed)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "3 cached" in second.stdout and "2 succeeded" in second.stdout
    status = subprocess.run([*RAY, "status", f"--address={ray_head}"], env=env, capture_output=True, text=True)
    assert status.returncode == 0
