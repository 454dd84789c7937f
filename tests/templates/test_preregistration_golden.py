"""preregistration.md for a small example spec (tests/specs/blimp-toy.yaml), held byte for byte against a golden file.

After an intended change, regenerate it with
    SPECC_UPDATE_GOLDEN=1 python -m pytest tests/templates/test_preregistration_golden.py
and review the diff of tests/templates/golden/ like code.
"""
import difflib
import os
from datetime import UTC, datetime
from pathlib import Path

from specc.compiler import compile_spec
from specc.prereg.report import write_preregistration

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "tests" / "specs" / "blimp-toy.yaml"
GOLDEN = Path(__file__).parent / "golden" / "preregistration_blimp-toy.md"
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _render(folder: Path) -> str:
    plan = compile_spec(SPEC)  # in place: its data paths are relative to specs/
    report, _ = write_preregistration(plan, SPEC, out_dir=folder, now=NOW, commit=COMMIT, dirty=False,
                                      lock_path=folder / "blimp-toy.lock.json")
    return report.read_text(encoding="utf-8")


def test_preregistration_matches_golden(tmp_path):
    text = _render(tmp_path)
    if os.environ.get("SPECC_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            str(GOLDEN), "rendered"))
        raise AssertionError(f"preregistration.md differs from the golden file "
                             f"(SPECC_UPDATE_GOLDEN=1 to accept):\n{diff}")


def test_rendering_is_deterministic(tmp_path):
    first = _render(tmp_path / "a")
    assert _render(tmp_path / "b") == first
    assert _render(tmp_path / "a") == first  # the existing lock: a no-op freeze
