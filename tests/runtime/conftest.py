"""Real Ray for the runtime tests: one embedded local Ray for the session, shared by
every in-process run (`specc run` reuses an initialised Ray and leaves it running)."""
from __future__ import annotations

import os

import pytest
from runtime_helpers import Project

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


@pytest.fixture(scope="session")
def ray_session():
    import ray
    if ray.is_initialized():   # a Ray another folder's fixture left up: start ours afresh
        ray.shutdown()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture
def project(tmp_path):
    return Project(tmp_path)
