"""Fixtures of the report tests; plain helpers are in report_helpers.py."""
from __future__ import annotations

import numpy as np
import pytest
from report_helpers import SPEC


@pytest.fixture
def rng():
    return np.random.default_rng(20250101)


@pytest.fixture
def tiny_plan(tmp_path):
    from specc.compiler import compile_spec
    (tmp_path / ".git").mkdir()
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return compile_spec(path)
