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

A spec itself can never widen the roots. The same rule covers every local path a
spec can name: data files, an `hf:` source that is really a local folder, a model's
`path:` (every file in it, after resolving symlinks, tokenizer included) and a `hub:`
name that exists as a local folder (refused: `path:` says what it is). Workers check
the paths again when a task opens them (`confine`), so a symlink swapped after
compiling reads nothing outside the roots.
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

    @classmethod
    def of(cls, roots: tuple[str, ...]) -> "DataRoots":
        """Roots as a payload carries them (strings; the first is the repository)."""
        paths = tuple(Path(r) for r in roots)
        return cls(paths[0] if paths else Path("/nonexistent"), paths)


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


def _outside(what: str, real: Path, roots: DataRoots) -> DataPathError:
    return DataPathError(f"{what} resolves to {real}, outside the allowed data roots",
                         f"allowed: {roots.describe()}; add a root in {CONFIG_FILE} ([data] roots), "
                         f"{ENV_ROOTS} or --data-root")


def confine(path: str | os.PathLike, roots: DataRoots, what: str | None = None) -> Path:
    """`path` resolved (symlinks followed); DataPathError when that lies outside every root."""
    real = Path(path).expanduser().resolve()
    if not roots.allows(real):
        raise _outside(what or repr(str(path)), real, roots)
    return real


def local_folder(name: str, spec_dir: Path) -> Path | None:
    """The local folder a hub name (`hf:` or `hub:`) would load instead of the hub, or None.

    `datasets` and `transformers` both take a name that exists as a local path for that
    path, relative to the working directory: `hub: ../secrets` or an `hf:` folder would read
    from anywhere. A name is local when it is written as a path (absolute, `./`, `../`,
    `~`, more than one `/`) or exists beside the spec or in the working directory."""
    expanded = os.path.expanduser(name)
    written_as_path = (os.path.isabs(expanded) or name.startswith((".", "~")) or name.count("/") > 1
                       or "\\" in name)
    for base in (spec_dir, Path.cwd()):
        candidate = Path(expanded) if os.path.isabs(expanded) else base / expanded
        if written_as_path or candidate.exists():
            return candidate
    return None


def folder_digest(folder: Path, roots: DataRoots, what: str) -> str:
    """sha256 over every file of a folder (relative name + content), each file confined to
    the roots after resolving symlinks: a model folder inside a root whose weights link to
    a file outside reads nothing. File hashes are cached on (path, size, mtime)."""
    digest = hashlib.sha256()
    for name, target in checked_folder(folder, roots, what):
        st = target.stat()
        file_hash = _facts(target, "bytes", st.st_size, st.st_mtime_ns).sha256
        digest.update(f"{name}\0{file_hash}\n".encode())
    return digest.hexdigest()


def checked_folder(folder: Path, roots: DataRoots, what: str) -> list[tuple[str, Path]]:
    """(relative name, resolved file) for every file of `folder`, sorted; DataPathError when
    the folder or any file (or a linked folder) resolves outside the roots."""
    real = confine(folder, roots, what)
    if not real.is_dir():
        raise DataPathError(f"{what} is not a folder ({real})", "name the folder a model or data set was saved to")
    out = []
    for current, dirs, names in os.walk(real, followlinks=False):
        dirs.sort()
        for name in sorted(names + [d for d in dirs if os.path.islink(os.path.join(current, d))]):
            path = Path(current, name)
            shown = path.relative_to(real).as_posix()
            target = confine(path, roots, f"{what}: {shown}")
            if target.is_dir():
                raise DataPathError(f"{what}: {shown} links to a folder",
                                    "copy the files into the folder instead of linking")
            out.append((shown, target))
    return out


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
    head = last = b""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
            if len(head) < 65536:
                head += block[:65536]
            last = block
    if size and not last.endswith(b"\n"):  # a last line without its newline still counts
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


@lru_cache(maxsize=256)
def _column(path: Path, kind: str, column: str, size: int, mtime_ns: int) -> tuple:
    if kind == "text":
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = text.split("\n")
        return tuple(lines[:-1] if text.endswith("\n") else lines)
    if kind == "jsonl":
        out = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    record = json.loads(line)
                    out.append(record.get(column) if isinstance(record, dict) else None)
        return tuple(out)
    if kind == "csv":
        with open(path, newline="", encoding="utf-8") as fh:
            return tuple(row.get(column) for row in csv.DictReader(fh))
    import pyarrow.parquet as pq
    table = pq.read_table(path, columns=[column] if column in pq.ParquetFile(path).schema_arrow.names else [])
    return tuple(table.column(column).to_pylist()) if table.num_columns else (None,) * table.num_rows


def column_values(files: tuple[Path, ...], kind: str, column: str) -> list:
    """One column of every record of a source, in file order (None where a record lacks
    it); plain-text files give their lines. For compile-time checks: grouped part sizes,
    leakage. Cached on (path, size, mtime)."""
    out: list = []
    for path in files:
        st = path.stat()
        out.extend(_column(path, kind, column, st.st_size, st.st_mtime_ns))
    return out
