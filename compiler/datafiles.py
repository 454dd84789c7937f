"""Local data files: where a spec may read from, and what each file holds.

A spec committed by an untrusted contributor must not be able to read `~/.ssh`
into a report, so every local path (after globbing and resolving symlinks)
must lie inside an allowed root:

* the repository that holds the spec (the nearest parent with `.git`, else the
  spec's own folder);
* roots listed in that repository's `specc.toml` (`[data] roots = [...]`,
  relative to the file) — project configuration, reviewed like code;
* roots in the `SPECC_DATA_ROOTS` environment variable (os.pathsep-separated)
  and `--data-root` options — the operator's, never the spec's.

A spec itself can never widen the roots.
"""
from __future__ import annotations

import csv
import fnmatch
import glob
import hashlib
import io
import json
import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONFIG_FILE = "specc.toml"
ENV_ROOTS = "SPECC_DATA_ROOTS"
# The operator may pin the project configuration to another copy of specc.toml (roots still
# relative to the repository): `specc ci` uses the base ref's, so a change cannot widen its roots.
CONFIG_ENV = "SPECC_CONFIG"


def repository_root(start: Path) -> Path:
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


@dataclass(frozen=True)
class DataRoots:
    repo: Path
    roots: tuple[Path, ...]

    @classmethod
    def for_spec(cls, spec_path: Path, extra: tuple[str, ...] = ()) -> "DataRoots":
        repo = repository_root(spec_path.parent)
        roots = [repo]
        config = Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else repo / CONFIG_FILE
        if config.is_file():
            try:
                listed = tomllib.loads(config.read_text()).get("data", {}).get("roots", [])
            except (tomllib.TOMLDecodeError, OSError):
                listed = []
            roots += [(repo / r).resolve() for r in listed if isinstance(r, str)]
        env = os.environ.get(ENV_ROOTS, "")
        roots += [Path(r).expanduser().resolve() for r in env.split(os.pathsep) if r]
        roots += [Path(r).expanduser().resolve() for r in extra]
        return cls(repo, tuple(dict.fromkeys(roots)))

    def allows(self, path: Path) -> bool:
        return any(path.is_relative_to(root) for root in self.roots)

    def describe(self) -> str:
        return ", ".join(str(r) for r in self.roots)


class DataPathError(ValueError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def resolve_files(pattern: str, spec_dir: Path, roots: DataRoots,
                  exclude: tuple[str, ...] = ()) -> tuple[Path, ...]:
    """The files a local source names, sorted; raises DataPathError with a hint."""
    full = pattern if os.path.isabs(os.path.expanduser(pattern)) else str(spec_dir / pattern)
    full = os.path.expanduser(full)
    matches = sorted(glob.glob(full)) if glob.has_magic(full) else ([full] if os.path.exists(full) else [])
    matches = [m for m in matches if not any(fnmatch.fnmatch(os.path.basename(m), x) for x in exclude)]
    if not matches:
        raise DataPathError(f"no file matches {pattern!r}",
                            f"paths are relative to the spec's folder ({spec_dir})")
    files = []
    for match in matches:
        real = Path(match).resolve()
        if not roots.allows(real):
            raise DataPathError(
                f"{pattern!r} resolves to {real}, outside the allowed data roots",
                f"allowed: {roots.describe()}; add a root in {CONFIG_FILE} ([data] roots), "
                f"{ENV_ROOTS} or --data-root")
        if real.is_dir():
            raise DataPathError(f"{pattern!r} names a directory", "name files, or use a glob like 'dir/*.jsonl'")
        files.append(real)
    return tuple(files)


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    bytes: int
    records: int
    columns: tuple[str, ...]


@lru_cache(maxsize=4096)
def _facts(path: Path, kind: str, size: int, mtime_ns: int) -> FileFacts:
    digest = hashlib.sha256()
    lines = 0
    head = b""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
            if len(head) < 65536:
                head += block[:65536]
    if size and not head.endswith(b"\n"):
        lines += 1
    columns: tuple[str, ...] = ()
    records = lines
    text = head.decode("utf-8", "replace")
    if kind == "jsonl":
        first = text.split("\n", 1)[0]
        try:
            obj = json.loads(first)
            columns = tuple(obj) if isinstance(obj, dict) else ()
        except ValueError:
            columns = ()
    elif kind == "csv":
        columns = tuple(next(csv.reader(io.StringIO(text)), []))
        records = max(lines - 1, 0)
    elif kind == "text":
        columns = ("text",)
    elif kind == "parquet":
        import pyarrow.parquet as pq
        meta = pq.ParquetFile(path)
        columns, records = tuple(meta.schema_arrow.names), meta.metadata.num_rows
    return FileFacts(digest.hexdigest(), size, records, columns)


def file_facts(path: Path, kind: str) -> FileFacts:
    """Content hash, size, record count and columns; cached on (path, size, mtime)."""
    st = path.stat()
    return _facts(path, kind, st.st_size, st.st_mtime_ns)
