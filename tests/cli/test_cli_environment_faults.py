"""A full disk, a read-only store or ledger: one clean line and exit 1, never an internal error."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specc.faults import environment_fault

SPEC = """\
specc: 1
name: faults
title: Faults
question: Clean messages?
conditions:
  x: [1]
stages:
  values: {op: tiny.value, over: [x], value: 1}
"""


def main(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    from specc.cli import main as specc_main
    monkeypatch.setattr(sys, "argv", ["specc", *args])
    with pytest.raises(SystemExit) as info:
        specc_main()
    return info.value.code, capsys.readouterr().err


def test_a_full_disk_under_the_ledger_is_an_environment_error(tmp_path, monkeypatch, capsys):
    """SQLite's own "database or disk is full", made real by capping the file's pages."""
    from specc.runtime import ledger as ledger_module
    (tmp_path / ".git").mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("x: [1]", f"x: {list(range(300))}"))  # rows enough to need new pages
    connect = ledger_module.sqlite3.connect

    def full_disk(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.executescript(ledger_module.SCHEMA)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count={pages}")   # not one page more: the disk is full
        return db
    monkeypatch.setattr(ledger_module.sqlite3, "connect", full_disk)
    code, err = main(monkeypatch, capsys, "run", str(spec), "--plain")
    assert code == 1, err
    assert err.startswith("specc: the run ledger cannot be written (database or disk is full); "
                          "the disk is full"), err
    assert "internal error" not in err and "Traceback" not in err


def test_environment_faults_are_recognised():
    import errno
    import sqlite3
    assert "the disk is full" in environment_fault(OSError(errno.ENOSPC, "No space left on device", "/s/x"))
    assert environment_fault(OSError(errno.EROFS, "Read-only file system", "/s")).startswith(
        "cannot write /s: Read-only file system; the file system is read-only")
    assert "read-only" in environment_fault(sqlite3.OperationalError("attempt to write a readonly database"))
    assert environment_fault(ValueError("a bug")) is None


@pytest.fixture
def read_only_folder(tmp_path):
    """A real read-only file system (a tmpfs mounted ro); skipped where mounting is not allowed."""
    folder = tmp_path / "ro"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {done.stderr.strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_a_read_only_store_is_an_environment_error(tmp_path, read_only_folder, monkeypatch, capsys):
    (tmp_path / ".git").mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    code, err = main(monkeypatch, capsys, "run", str(spec), "--plain", "--store", str(read_only_folder / "store"))
    assert code == 1, err
    assert f"cannot open the store '{read_only_folder / 'store'}': cannot write" in err
    assert "the file system is read-only" in err and "internal error" not in err


def test_a_read_only_repository_is_an_environment_error(read_only_folder, monkeypatch, capsys):
    spec = Path(read_only_folder) / "spec.yaml"   # a spec on read-only media: nothing can be written
    subprocess.run(["mount", "-o", "remount,rw", str(read_only_folder)], check=True)
    spec.write_text(SPEC)
    (Path(read_only_folder) / ".git").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_folder)], check=True)
    code, err = main(monkeypatch, capsys, "run", str(spec), "--plain")
    assert code == 1, err
    assert "read-only" in err and "internal error" not in err
