"""The pre-registration lock: `<spec dir>/<name>.lock.json`.

A lock freezes the *confirmatory content* of a spec (what could change an
answer: question, seed, data, models, conditions, stages, hypotheses, decision)
under a sha256 hash, with the UTC time, git commit and specc version. Title,
authors, `doc:` notes, budget and profiles are left out: editing them changes
no result, so it must not count as a deviation.

An existing lock is never overwritten silently: freezing a different spec
raises `LockExists`; `amend` records the change with a reason.
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

    def to_dict(self) -> dict[str, Any]:
        return {"format": LOCK_FORMAT, "spec": self.spec, "hash": self.hash, "frozen_at": self.frozen_at,
                "commit": self.commit, "dirty": self.dirty, "specc_version": self.specc_version,
                "profile": self.profile, "content": self.content, "amendments": self.amendments}

    def summary(self) -> dict[str, Any]:
        """What results.json records about the lock (no content)."""
        return {"path": str(self.path), "hash": self.hash, "frozen_at": self.frozen_at,
                "commit": self.commit, "specc_version": self.specc_version,
                "amendments": self.amendments}


# ------------------------------------------------------------------ content

def confirmatory_content(plan) -> dict[str, Any]:
    """The canonical, JSON-able part of a compiled spec that a pre-registration freezes.

    exclude_none: a field the spec leaves unset is absent, so a future optional
    field does not change the hash of every existing lock. Measures, thresholds
    and gates are the compiler's parsed ones in canonical spelling (`>0.5` and
    `> 0.5` agree), and the resampling unit is the one the run uses (declared or
    inferred).
    """
    dumped = plan.spec.model_dump(mode="json", exclude_none=True)
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


def content_hash(content: dict[str, Any]) -> str:
    return sha256_text(canonical_json(content))


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
        return Lock(path=path, spec=data["spec"], hash=data["hash"], frozen_at=data["frozen_at"],
                    commit=data.get("commit"), dirty=data.get("dirty"),
                    specc_version=data["specc_version"], content=data["content"],
                    profile=data.get("profile"), amendments=list(data.get("amendments") or []))
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
           *, dirty: bool | None = None, path: Path | None = None, profile: str | None = None) -> Lock:
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
                dirty=dirty, specc_version=__version__, content=content, profile=profile)
    _write(lock)
    return lock


def amend(plan, spec_path: str | Path, reason: str, now: datetime | None = None,
          commit: str | None = None, *, dirty: bool | None = None, path: Path | None = None) -> Lock:
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
    lock.amendments.append({"at": utc_stamp(now), "reason": reason.strip(), "hash": digest,
                            "previous_hash": lock.hash, "commit": commit, "dirty": dirty,
                            "changes": [p for p, _, _ in diff(lock.content, content)]})
    lock.hash, lock.content = digest, content
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
