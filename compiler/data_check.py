"""Find what is wrong with a local data file, as `file:line: message`.

`datasets` reports a malformed file as "An error occurred while generating the
dataset" (the useful part, with a 0-based row, goes to its log). specc checks the
file itself instead: `specc validate` does it for every local file up to
`CHECK_BYTES` (the compiler reads each file once anyway, for its hash), and a task
that fails to load a file always says what `file_problems` finds. Lines count
from 1, like an editor's.
"""
from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

CHECK_BYTES = 64 * 1024 * 1024   # files above this are checked when a task loads them
MAX_PROBLEMS = 5                 # per file: the first few say enough


class DataFileError(ValueError):
    """A local data file that cannot be read as its kind; the message is `file:line: ...`."""


def file_problems(path: Path, kind: str) -> list[str]:
    """`file:line: message` for each problem found (at most MAX_PROBLEMS), [] when none."""
    st = path.stat()
    return list(_problems(path, kind, st.st_size, st.st_mtime_ns))


@lru_cache(maxsize=1024)
def _problems(path: Path, kind: str, size: int, mtime_ns: int) -> tuple[str, ...]:
    if size == 0:
        return (f"{path}:1: the file is empty",)
    if kind == "parquet":
        return _parquet(path)
    # Line by line (a file may be large): UTF-8 first, then each kind's own rules.
    blank = True
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return (f"{path}:{number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                        f"{exc.start + 1}); save the file as UTF-8",)
            blank = blank and not line.strip()
    if blank:
        return (f"{path}:1: the file holds only blank lines",)
    if kind == "jsonl":
        return _jsonl(path)
    if kind == "csv":
        return _csv(path)
    return ()


def _jsonl(path: Path) -> tuple[str, ...]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line.rstrip("\r\n"))
            except ValueError as exc:
                out.append(f"{path}:{number}: invalid JSON at column {getattr(exc, 'colno', '?')}: "
                           f"{getattr(exc, 'msg', exc)}")
            else:
                if not isinstance(value, dict):
                    out.append(f"{path}:{number}: expected one JSON object per line, got {type(value).__name__}")
            if len(out) >= MAX_PROBLEMS:
                break
    return tuple(out)


def _csv(path: Path) -> tuple[str, ...]:
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader)
            if len(set(header)) != len(header):
                dupes = sorted({h for h in header if header.count(h) > 1})
                out.append(f"{path}:1: the header names {', '.join(map(repr, dupes))} more than once")
            for row in reader:
                if row and len(row) != len(header):
                    out.append(f"{path}:{reader.line_num}: {len(row)} fields where the header has {len(header)}")
                    if len(out) >= MAX_PROBLEMS:
                        break
        except csv.Error as exc:
            out.append(f"{path}:{reader.line_num}: malformed CSV: {exc}")
    return tuple(out)


def _parquet(path: Path) -> tuple[str, ...]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError) as exc:
        return (f"{path}: not a readable Parquet file: {exc}",)
    return ()
