"""The pre-registration lock: `<spec dir>/<name>.lock.json`.

A lock freezes the *confirmatory content* of a spec (what could change an
answer: question, seed, data, models, conditions, stages, hypotheses, decision)
under a sha256 hash, with the UTC time, git commit and specc version. Title,
authors, `doc:` notes, budget and profiles are left out: editing them changes
no result, so it must not count as a deviation.

An existing lock is never overwritten silently: freezing a different spec
raises `LockExists`; `amend` records the change with a reason.

Integrity: reading a lock checks that its `hash` is the hash of its content, that
the amendments form a chain (each one's `previous_hash` is the hash before it,
from `frozen_hash` to the current one), and that its `seal` — a sha256 over the
whole lock but the seal — matches. Any hand edit (a threshold, a removed or
rewritten amendment, a data digest) is `LockTampered`, which `specc run` refuses.
This catches edits, not forgery: whoever recomputes every hash can rewrite a lock,
and the git history of the lock file is the record against that.

The lock also records the sha256 of every local data file (`data_files`): a file
changed after freezing is a deviation that names it.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from specc.compiler.fingerprint import canonical_json, sha256_text

LOCK_FORMAT = 1
LOCKED_SECTIONS = ("question", "seed", "data", "models", "conditions", "stages", "hypotheses", "decision")


class LockError(Exception):
    """A lock cannot be written or read; the message names the file."""


class LockExists(LockError):
    pass


class LockTampered(LockError):
    """The lock's hashes do not match its content: it was edited by hand."""


@dataclass
class Lock:
    path: Path
    spec: str
    hash: str
    frozen_at: str
    commit: str | None
    dirty: bool | None
    specc_version: str
    content: dict[str, Any]
    profile: str | None = None
    amendments: list[dict[str, Any]] = field(default_factory=list)
    frozen_hash: str | None = None          # the hash when first frozen (the chain's start)
    data_files: dict[str, dict[str, str]] | None = None   # source -> file -> sha256
    after_results: dict[str, Any] | None = None   # frozen when the ledger already held results

    def to_dict(self) -> dict[str, Any]:
        out = {"format": LOCK_FORMAT, "spec": self.spec, "hash": self.hash, "frozen_at": self.frozen_at,
               "commit": self.commit, "dirty": self.dirty, "specc_version": self.specc_version,
               "profile": self.profile, "content": self.content, "amendments": self.amendments,
               "frozen_hash": self.frozen_hash or self.hash, "data_files": self.data_files or {}}
        if self.after_results:
            out["after_results"] = self.after_results
        out["seal"] = seal(out)
        return out

    def summary(self) -> dict[str, Any]:
        """What results.json records about the lock (no content)."""
        return {"path": str(self.path), "hash": self.hash, "frozen_at": self.frozen_at,
                "commit": self.commit, "specc_version": self.specc_version,
                "amendments": self.amendments}


# ------------------------------------------------------------------ content

def confirmatory_content(plan) -> dict[str, Any]:
    """The canonical, JSON-able part of a compiled spec that a pre-registration freezes.

    exclude_none: a field the spec leaves unset is absent, so a future optional
    field does not change the hash of every existing lock; likewise a field at an
    empty default (`rename: {}`, `exclude: []`: nothing configured), see
    `empty_defaults`. Measures, thresholds
    and gates are the compiler's parsed ones in canonical spelling (`>0.5` and
    `> 0.5` agree), and the resampling unit is the one the run uses (declared or
    inferred).
    """
    dumped = plan.spec.model_dump(mode="json", exclude_none=True, exclude=empty_defaults(plan.spec))
    out = {key: dumped[key] for key in LOCKED_SECTIONS if key in dumped}
    for name, stage in out.get("stages", {}).items():
        stage.pop("doc", None)
        if name in plan.stage_gates:
            stage["when"] = str(plan.stage_gates[name])
    for hid, hyp in out.get("hypotheses", {}).items():
        compiled = plan.hypotheses[hid]
        hyp["measure"] = compiled.measure_text
        hyp["expect"] = str(compiled.expect)
        hyp.setdefault("interval", {})["unit"] = compiled.unit
        if compiled.gate is not None:
            hyp["when"] = str(compiled.gate)
    return out


def empty_defaults(value: Any) -> dict[Any, Any]:
    """A pydantic `exclude` tree of every field, at any depth, whose value is an empty
    container and whose default is one too: `rename: {}` on a hub source says nothing, and
    in the lock it would make an optional field added with an empty default change every
    lock's hash. Only empty defaults are left out: a default that means something (alpha
    0.05, an interval's level) stays frozen, so a change of it in a later specc is a
    deviation; and an empty value where the default is not empty (`layers: []` against
    all layers) is a choice, also kept. A default that later becomes non-empty is dumped,
    so it shows as a deviation too."""
    from pydantic import BaseModel
    if isinstance(value, BaseModel):
        tree: dict[Any, Any] = {}
        for name, info in type(value).model_fields.items():
            field_value = getattr(value, name)
            if _empty(field_value) and not info.is_required() and \
                    _empty(info.get_default(call_default_factory=True)):
                tree[name] = True
            elif sub := empty_defaults(field_value):
                tree[name] = sub
        return tree
    if isinstance(value, dict):
        return {k: sub for k, v in value.items() if (sub := empty_defaults(v))}
    if isinstance(value, (list, tuple)):
        return {i: sub for i, v in enumerate(value) if (sub := empty_defaults(v))}
    return {}


def _empty(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple)) and len(value) == 0


def content_hash(content: dict[str, Any]) -> str:
    return sha256_text(canonical_json(content))


def seal(lock_dict: dict[str, Any]) -> str:
    """sha256 over the whole lock but its seal: any edit anywhere changes it."""
    return sha256_text(canonical_json({k: v for k, v in lock_dict.items() if k != "seal"}))


def verify(path: Path, data: dict[str, Any]) -> None:
    """Raise LockTampered when the lock's hashes do not match what it holds."""
    def tampered(what: str) -> LockTampered:
        return LockTampered(f"{path}: {what}: the lock was edited by hand. Restore it from git; change "
                            "a pre-registration only with `specc prereg SPEC --amend --reason \"...\"`")
    actual = content_hash(data["content"])
    if actual != data["hash"]:
        raise tampered(f"its hash {data['hash'][:12]} is not the hash of its content ({actual[:12]})")
    expected = data.get("frozen_hash") or (data["amendments"][0]["previous_hash"] if data.get("amendments")
                                           else data["hash"])
    for i, amendment in enumerate(data.get("amendments") or [], start=1):
        if amendment.get("previous_hash") != expected:
            raise tampered(f"amendment {i} follows hash {str(amendment.get('previous_hash'))[:12]}, "
                           f"not {expected[:12]} (an amendment was removed or rewritten)")
        expected = amendment.get("hash")
    if expected != data["hash"]:
        raise tampered(f"the last amendment leads to hash {str(expected)[:12]}, not {data['hash'][:12]} "
                       "(an amendment was removed)")
    if "seal" in data and seal(data) != data["seal"]:
        raise tampered("its seal does not match (a field was changed)")


def data_file_digests(plan) -> dict[str, dict[str, str]]:
    """sha256 of every local data file, per source, by path relative to the spec's folder."""
    import os
    from ..compiler.datafiles import file_facts
    spec_dir = Path(plan.path).resolve().parent
    out: dict[str, dict[str, str]] = {}
    for name, info in sorted(plan.data.items()):
        if info.kind == "hf" and not info.files:
            continue
        kind = "bytes" if info.kind == "hf" else info.kind
        files = {}
        for f in info.files:
            if Path(f).is_file():
                files[os.path.relpath(f, spec_dir)] = file_facts(Path(f), kind).sha256
        out[name] = files
    return out


def diff(old: Any, new: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted path, old, new) for every difference; dicts recurse, lists compare whole.
    An absent key reads as None."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in [*old, *(k for k in new if k not in old)]:
            out += diff(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        return out
    return [] if old == new else [(path, old, new)]


# --------------------------------------------------------------------- files

def lock_path(spec_path: str | Path, name: str) -> Path:
    return Path(spec_path).parent / f"{name}.lock.json"


def read_lock(where: str | Path, name: str | None = None) -> Lock | None:
    """The lock beside a spec file (or a `.lock.json` path itself); None when there is none.

    `name` is the spec's `name:`; without it, it is read from the spec file."""
    where = Path(where)
    if where.name.endswith(".lock.json"):
        path = where
    else:
        path = lock_path(where, name or _spec_name(where))
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != LOCK_FORMAT:
            raise LockError(f"{path}: lock format {data.get('format')!r} is not {LOCK_FORMAT}")
        verify(path, data)
        return Lock(path=path, spec=data["spec"], hash=data["hash"], frozen_at=data["frozen_at"],
                    commit=data.get("commit"), dirty=data.get("dirty"),
                    specc_version=data["specc_version"], content=data["content"],
                    profile=data.get("profile"), amendments=list(data.get("amendments") or []),
                    frozen_hash=data.get("frozen_hash"), data_files=data.get("data_files"),
                    after_results=data.get("after_results"))
    except LockError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LockError(f"{path}: not a readable lock file ({exc}); restore it from git "
                        "rather than deleting it") from exc


def _spec_name(spec_path: Path) -> str:
    import yaml
    try:
        name = (yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}).get("name")
    except (OSError, yaml.YAMLError, AttributeError):
        name = None
    return name if isinstance(name, str) else spec_path.stem


def freeze(plan, spec_path: str | Path, now: datetime | None = None, commit: str | None = None,
           *, dirty: bool | None = None, path: Path | None = None, profile: str | None = None,
           after_results: dict[str, Any] | None = None) -> Lock:
    """Write a new lock for a compiled spec (`plan`). Same hash as an existing lock: returns it untouched.
    A different hash: LockExists, naming the file and the changed fields.

    `commit=None` reads git HEAD of the spec's repository; tests pass one (and `now`)."""
    spec = plan.spec
    path = Path(path) if path else lock_path(spec_path, spec.name)
    content = confirmatory_content(plan)
    digest = content_hash(content)
    existing = read_lock(path)
    if existing is not None:
        if existing.hash == digest:
            return existing
        changed = ", ".join(p for p, _, _ in diff(existing.content, content)[:8]) or "(format)"
        raise LockExists(f"{path}: a pre-registration is already frozen (hash {existing.hash[:12]}, "
                         f"{existing.frozen_at}) and this spec differs from it in: {changed}. "
                         "It is never overwritten; record the change with "
                         "`specc prereg SPEC --amend --reason \"...\"`.")
    commit, dirty = _git(Path(spec_path), commit, dirty)
    from specc import __version__
    lock = Lock(path=path, spec=spec.name, hash=digest, frozen_at=utc_stamp(now), commit=commit,
                dirty=dirty, specc_version=__version__, content=content, profile=profile,
                frozen_hash=digest, data_files=data_file_digests(plan), after_results=after_results)
    _write(lock)
    return lock


def amend(plan, spec_path: str | Path, reason: str, now: datetime | None = None,
          commit: str | None = None, *, dirty: bool | None = None, path: Path | None = None,
          after_results: dict[str, Any] | None = None) -> Lock:
    """Record an amendment: the lock takes the spec's current content and hash, keeps
    its original `frozen_at`, and lists what changed, when and why."""
    path = Path(path) if path else lock_path(spec_path, plan.spec.name)
    if not isinstance(reason, str) or not reason.strip():
        raise LockError(f"{path}: an amendment needs a reason, e.g. --reason \"threshold was a typo\"")
    lock = read_lock(path)
    if lock is None:
        raise LockError(f"{path}: there is no pre-registration to amend; run `specc prereg SPEC` "
                        "first to freeze one")
    content = confirmatory_content(plan)
    digest = content_hash(content)
    if digest == lock.hash:
        return lock  # nothing changed: nothing to record
    commit, dirty = _git(Path(spec_path), commit, dirty)
    record = {"at": utc_stamp(now), "reason": reason.strip(), "hash": digest,
              "previous_hash": lock.hash, "commit": commit, "dirty": dirty,
              "changes": [p for p, _, _ in diff(lock.content, content)]}
    if after_results:
        record["after_results"] = after_results
    lock.frozen_hash = lock.frozen_hash or (lock.amendments[0]["previous_hash"] if lock.amendments else lock.hash)
    lock.amendments.append(record)
    files = data_file_digests(plan)
    record["changes"] += [f"data_files.{n}.{f}" for n in sorted({*files, *(lock.data_files or {})})
                          for f in sorted({*files.get(n, {}), *(lock.data_files or {}).get(n, {})})
                          if lock.data_files is not None
                          and files.get(n, {}).get(f) != lock.data_files.get(n, {}).get(f)]
    lock.hash, lock.content, lock.data_files = digest, content, files
    _write(lock)
    return lock


def utc_stamp(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)  # a naive time is taken to be UTC already
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(lock: Lock) -> None:
    text = json.dumps(lock.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    tmp = lock.path.with_name(lock.path.name + ".tmp")
    try:
        lock.path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(lock.path)  # atomic: a crash never leaves half a lock
    except OSError as exc:
        raise LockError(f"{lock.path}: cannot write the lock ({exc.strerror or exc})") from exc


def _git(spec_path: Path, commit: str | None, dirty: bool | None) -> tuple[str | None, bool | None]:
    """(HEAD commit, whether the work tree has changes) of the spec's repository."""
    if commit is not None:
        return commit, bool(dirty)
    from specc.compiler.datafiles import repository_root
    repo = repository_root(spec_path.resolve().parent)

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                                  timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    head = git("rev-parse", "HEAD")
    if head is None:
        return None, None
    status = git("status", "--porcelain")
    return head, None if status is None else bool(status)
