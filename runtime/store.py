"""The artifact store: one folder per cache key, written atomically, with a manifest.

Layout under the store's root (a local folder or any fsspec URI)::

    ab/abcdef.../manifest.json     what made it (task, op, params, timings, environment)
    ab/abcdef.../table.parquet     the artifact's files (a table, a model/, checkpoints/ ...)
    .tmp/<key>-<uuid>/             work in progress, never read as an artifact
    .resume/<key>/                 state an interrupted task resumes from (training)
    .shared/<kind>/<key>/          derived data several tasks share (tokenized corpus shards)

A task writes into its own temporary folder; `commit` then makes it visible in
one step. On a local store that step is a rename of the whole folder, atomic on
POSIX; on object stores (no rename) the files are uploaded first and the manifest
last, and the manifest lists every file with its size. Either way an artifact
counts as present only when its manifest exists and every file it lists is
there with that size, so a writer killed half-way leaves nothing that reads as
a result.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

MANIFEST = "manifest.json"
TMP = ".tmp"
RESUME = ".resume"
SHARED = ".shared"


class ArtifactStore:
    def __init__(self, uri: str | os.PathLike, create: bool = True):
        import fsspec
        uri = str(uri)
        self.uri = uri
        self.fs, root = fsspec.core.url_to_fs(uri)
        self.local = _is_local(self.fs)
        self.root = str(Path(root).resolve()) if self.local else root.rstrip("/")
        if self.local:
            self.uri = self.root  # workers elsewhere must not resolve a relative path their own way
        if self.local and create:
            Path(self.root, TMP).mkdir(parents=True, exist_ok=True)

    # -- addresses --------------------------------------------------------------------

    def path(self, key: str) -> str:
        return f"{self.root}/{key[:2]}/{key}"

    def _manifest_path(self, key: str) -> str:
        return f"{self.path(key)}/{MANIFEST}"

    # -- reading ----------------------------------------------------------------------

    def manifest(self, key: str) -> dict[str, Any] | None:
        """The manifest of a complete artifact, else None (missing, partial or corrupt)."""
        try:
            with self.fs.open(self._manifest_path(key), "rb") as f:
                manifest = json.loads(f.read())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError, OSError):
            return None
        if manifest.get("key") != key or not self._files_present(key, manifest.get("files", {})):
            return None
        return manifest

    def has(self, key: str) -> bool:
        return self.manifest(key) is not None

    def _files_present(self, key: str, files: dict[str, int]) -> bool:
        base = self.path(key)
        if self.local:  # one stat per file, no fsspec overhead: a no-op rerun checks thousands
            try:
                return all(os.stat(f"{base}/{name}").st_size == size for name, size in files.items())
            except OSError:
                return False
        try:
            listing = {Path(e["name"]).relative_to(Path(base)).as_posix(): e.get("size")
                       for e in self.fs.find(base, detail=True).values()}
        except (FileNotFoundError, ValueError):
            return False
        return all(listing.get(name) == size for name, size in files.items())

    def local_path(self, key: str, cache_dir: str | os.PathLike | None = None) -> Path:
        """A local folder with the artifact's files: the store's own folder when the store
        is local, else a copy fetched once into `cache_dir` (atomically, like a commit)."""
        if self.local:
            return Path(self.path(key))
        cache = Path(cache_dir or Path(tempfile.gettempdir()) / "specc-artifacts")
        target = cache / key
        if (target / MANIFEST).exists():
            return target
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / f".{key}-{uuid.uuid4().hex}"
        self.fs.get(self.path(key) + "/", str(partial), recursive=True)
        try:
            os.rename(partial, target)
        except OSError:  # another process fetched it first
            shutil.rmtree(partial, ignore_errors=True)
        return target

    # -- writing ----------------------------------------------------------------------

    def begin(self, key: str) -> Path:
        """A fresh local folder to write the artifact of `key` into."""
        parent = Path(self.root, TMP) if self.local else Path(tempfile.gettempdir()) / "specc-tmp"
        folder = parent / f"{key}-{uuid.uuid4().hex}"
        folder.mkdir(parents=True)
        return folder

    def commit(self, key: str, folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
        """Make `folder` the artifact of `key`; returns the manifest written.

        If the artifact already exists (another worker finished the same key), that
        one wins and `folder` is discarded: same key, same content.
        """
        files = {p.relative_to(folder).as_posix(): p.stat().st_size
                 for p in sorted(folder.rglob("*")) if p.is_file()}
        manifest = {**manifest, "key": key, "files": files, "committed": time.time()}
        data = json.dumps(manifest, indent=1, sort_keys=True, default=str)
        if self.local:
            (folder / MANIFEST).write_text(data)
            target = Path(self.path(key))
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() and self.manifest(key) is None:
                _remove_stale(target)  # a leftover without a valid manifest: never a result
            try:
                os.rename(folder, target)
            except OSError:
                shutil.rmtree(folder, ignore_errors=True)
                existing = self.manifest(key)
                if existing is None:
                    raise
                return existing
            return manifest
        base = self.path(key)
        for name in files:  # data first, manifest last: the manifest is the commit
            self.fs.put_file(str(folder / name), f"{base}/{name}")
        with self.fs.open(f"{base}/{MANIFEST}", "wb") as f:
            f.write(data.encode())
        shutil.rmtree(folder, ignore_errors=True)
        return manifest

    # -- leases: one writer per key across runs sharing this store ---------------------------

    @contextlib.contextmanager
    def lease(self, key: str) -> Iterator[None]:
        """Hold the key's lease (waiting for it): an exclusive lock on `ab/<key>.lease`, beside
        the key's folder. Two runs on one store never make the same key twice: the second
        waits, then finds the artifact. The operating system drops the lock when its process
        dies, so a killed worker never leaves a key locked. Object stores have no locks:
        there, concurrent runs may both make a key (the first commit wins)."""
        if not self.local:
            yield
            return
        fd = self._lease_fd(key)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)   # closing releases the lock

    def _lease_fd(self, key: str) -> int:
        path = Path(self.path(key) + ".lease")
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def clean_stale_tmp(self) -> int:
        """Remove work-in-progress folders (`.tmp/<key>-<id>`) that no live writer holds: left
        by a killed worker. A folder whose key is leased is being written now; it stays."""
        if not self.local:
            return 0
        removed = 0
        tmp = Path(self.root, TMP)
        for entry in sorted(tmp.iterdir()) if tmp.is_dir() else []:
            key = entry.name.rsplit("-", 1)[0]
            if len(key) != 64:
                continue
            fd = self._lease_fd(key)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue   # a writer holds it
            try:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
            finally:
                os.close(fd)
        return removed

    def resume_folder(self, key: str) -> Path:
        """A local folder that survives a task's failed attempts (and a killed run), for
        state a long op resumes from (training checkpoints). Gone once `key` commits.
        Kept under the store's root for a local store; in the local temp folder for a
        remote one, so a resumed attempt on another machine starts over."""
        parent = Path(self.root, RESUME) if self.local else Path(tempfile.gettempdir()) / "specc-resume"
        folder = parent / key
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def shared_folder(self, kind: str, key: str) -> Path:
        """Where derived data that several tasks reuse lives (e.g. a corpus tokenized and
        packed into shards, keyed by data, tokenizer and format): under the store's root
        for a local store, in the local temp folder for a remote one. Its writer publishes
        a complete folder with one rename; the folder returned may not exist yet."""
        parent = Path(self.root, SHARED) if self.local else Path(tempfile.gettempdir()) / "specc-shared"
        return parent / kind / key

    def drop_resume_folder(self, key: str) -> None:
        parent = Path(self.root, RESUME) if self.local else Path(tempfile.gettempdir()) / "specc-resume"
        shutil.rmtree(parent / key, ignore_errors=True)

    def abandon(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def remove(self, key: str) -> None:
        if self.fs.exists(self.path(key)):
            self.fs.rm(self.path(key), recursive=True)


def _remove_stale(target: Path) -> None:
    graveyard = target.with_name(f".{target.name}-{uuid.uuid4().hex}")
    try:
        os.rename(target, graveyard)
    except OSError:
        return
    shutil.rmtree(graveyard, ignore_errors=True)


def _is_local(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem
    return isinstance(fs, LocalFileSystem)


def default_store_uri(repo_root: Path) -> str:
    """`.specc/store` in the spec's repository: results live with the specs that made them."""
    return str(repo_root / ".specc" / "store")
