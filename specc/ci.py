"""Commit a spec to trigger a run: `specc ci`, in a workflow or by hand.

    specc ci --since origin/main [--profile smoke]

1. find the specs added or changed since REF (`changed_specs`);
2. validate every one of them first: one invalid spec fails the whole change (exit 2) before
   anything runs, with the compiler's `file:line:col` messages;
3. per spec: no lock yet -> freeze the pre-registration (the lock and preregistration.md);
   a lock -> run it and render its results report;
4. write a Markdown summary fit for a pull-request comment (`ci_summary`).

CI mode trusts only what was reviewed before the change: the project configuration
(`specc.toml`: data roots and plugins) is read from REF, not from the change itself, and a
change that edits the code of a listed plugin is refused (`trusted_setup`). A pull request
from a fork can therefore neither widen the data roots nor change which plugin code runs.
"""
from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from specc.compiler.datafiles import CONFIG_ENV, CONFIG_FILE
from specc.registry import plugin_names

# Where specs live, unless specc.toml says otherwise (`[ci] specs = ["experiments/*.yaml"]`).
DEFAULT_SPEC_GLOBS = ("specs/*.yaml", "specs/*.yml", "specs/**/*.yaml", "specs/**/*.yml")
PLUGINS_ENV = "SPECC_PLUGINS"


class CiError(Exception):
    """A problem with the repository or the ref, not with a spec (exit 2)."""


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CiError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def repo_root(start: Path) -> Path:
    return Path(git(start, "rev-parse", "--show-toplevel").strip())


def project_config(text: str | None) -> dict:
    if not text:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CiError(f"{CONFIG_FILE}: {exc}") from exc


def config_at(repo: Path, ref: str | None) -> str | None:
    """specc.toml's text at a ref (None: the working tree); None when it has none."""
    if ref is None:
        path = repo / CONFIG_FILE
        return path.read_text() if path.is_file() else None
    proc = subprocess.run(["git", "show", f"{ref}:{CONFIG_FILE}"], cwd=repo, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def spec_globs(config: dict) -> tuple[str, ...]:
    listed = config.get("ci", {}).get("specs")
    return tuple(listed) if isinstance(listed, list) and listed else DEFAULT_SPEC_GLOBS


def is_spec_path(rel: str, globs: tuple[str, ...]) -> bool:
    return not rel.endswith(".lock.json") and any(fnmatch.fnmatch(rel, g) for g in globs)


def changed_files(repo: Path, since: str) -> list[str]:
    """Files added, modified or renamed between the merge base of `since` and HEAD, plus
    what the working tree changes on top (so a hook and a local run see the same)."""
    base = git(repo, "merge-base", since, "HEAD").strip()
    names = git(repo, "diff", "--name-only", "--diff-filter=AMR", base).splitlines()
    names += git(repo, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted(set(names))


def changed_specs(repo: Path, since: str, globs: tuple[str, ...]) -> list[Path]:
    """Specs whose YAML changed since `since`, and specs whose lock changed."""
    out = []
    for rel in changed_files(repo, since):
        if rel.endswith(".lock.json"):
            rel = _spec_of_lock(repo, rel, globs)
            if rel is None:
                continue
        if is_spec_path(rel, globs) and (repo / rel).is_file():
            out.append(repo / rel)
    return sorted(set(out))


def _spec_of_lock(repo: Path, lock_rel: str, globs: tuple[str, ...]) -> str | None:
    """The spec file beside a lock whose `name:` the lock is named after."""
    folder = (repo / lock_rel).parent
    stem = Path(lock_rel).name[: -len(".lock.json")]
    for ext in (".yaml", ".yml"):
        candidate = folder / f"{stem}{ext}"
        if candidate.is_file():
            rel = str(candidate.relative_to(repo))
            return rel if is_spec_path(rel, globs) else None
    return None


@dataclass
class TrustedSetup:
    """What CI mode runs with: read from REF's specc.toml, never from the change."""

    config_file: Path | None           # a copy of REF's specc.toml (SPECC_CONFIG) or None
    plugins: tuple[str, ...]           # SPECC_PLUGINS for this run
    notes: list[str] = field(default_factory=list)


def trusted_setup(repo: Path, since: str, changed: list[str]) -> TrustedSetup:
    """Pin the configuration to REF's and refuse changes to listed plugins' code."""
    text = config_at(repo, since)
    config = project_config(text)
    plugins = tuple(str(m) for m in config.get("plugins", {}).get("modules", []) if isinstance(m, str))
    notes = []
    if config_at(repo, None) != text:
        notes.append(f"{CONFIG_FILE} differs from {since}'s: CI uses {since}'s data roots and plugins")
    env_plugins = plugin_names(PLUGINS_ENV)
    if env_plugins and env_plugins != plugins:
        notes.append(f"{PLUGINS_ENV}={','.join(env_plugins)} ignored: CI loads only the plugins "
                     f"{CONFIG_FILE} lists at {since} ({', '.join(plugins) or 'none'})")
    edited = [m for m in plugins if _module_changed(repo, m, changed)]
    if edited:
        raise CiError(f"plugin code changed in this change ({', '.join(edited)}): CI runs only plugin code "
                      f"that was reviewed before it; land the plugin change first, then the spec")
    config_file = None
    if text is not None:
        handle = tempfile.NamedTemporaryFile("w", suffix=".toml", prefix="specc-ci-", delete=False)
        with handle:
            handle.write(text)
        config_file = Path(handle.name)
    return TrustedSetup(config_file, plugins, notes)


def _module_changed(repo: Path, module: str, changed: list[str]) -> bool:
    spec = importlib.util.find_spec(module.split(".")[0])
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    if spec and spec.origin and not roots:
        roots = [Path(spec.origin)]
    for root in roots:
        root = root.resolve()
        for rel in changed:
            path = (repo / rel).resolve()
            if path == root or path.is_relative_to(root):
                return True
    # A module file that does not exist yet but the change adds under the repo: refuse too.
    rel_guess = module.replace(".", "/")
    return any(c == f"{rel_guess}.py" or c.startswith(f"{rel_guess}/") for c in changed)


def apply_trusted(setup: TrustedSetup) -> None:
    """Set the environment the compiler and the workers read (before specc.ops is imported)."""
    os.environ[PLUGINS_ENV] = ",".join(setup.plugins)
    if setup.config_file is not None:
        os.environ[CONFIG_ENV] = str(setup.config_file)
    else:  # REF had no specc.toml: no roots beyond the repository
        os.environ[CONFIG_ENV] = os.devnull


@dataclass
class SpecOutcome:
    spec: str                          # repository-relative path
    action: str                        # "invalid" | "frozen" | "ran" | "failed"
    verdicts: dict[str, str] = field(default_factory=dict)   # hypothesis -> status
    deviations: int = 0
    report: str | None = None          # repository-relative report path
    detail: str = ""


ICONS = {"supported": "✅", "refuted": "❌", "inconclusive": "⚠️", "not tested": "⏭️"}


def results_json(repo: Path, run_id: str) -> dict:
    path = repo / ".specc" / "runs" / run_id / "results.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def ci_summary(outcomes: list[SpecOutcome], since: str, profile: str | None, notes: list[str]) -> str:
    """Markdown for a pull-request comment: one row per spec, then what needs attention."""
    title = f"### specc: {len(outcomes)} spec{'s' if len(outcomes) != 1 else ''} changed since `{since}`"
    lines = [title + (f" (profile `{profile}`)" if profile else ""), ""]
    if not outcomes:
        return "\n".join(lines + ["No spec changed.", ""])
    lines += ["| spec | action | verdicts | deviations | report |", "|---|---|---|---|---|"]
    for o in outcomes:
        verdicts = " ".join(f"{ICONS.get(s, '?')} {h}" for h, s in o.verdicts.items()) or "-"
        report = f"[{Path(o.report).name}]({o.report})" if o.report else "-"
        devs = str(o.deviations) if o.action in ("ran", "failed") else "-"
        lines.append(f"| `{o.spec}` | {o.action} | {verdicts} | {devs} | {report} |")
    details = [o for o in outcomes if o.detail]
    if details or notes:
        lines += ["", "<details><summary>details</summary>", ""]
        lines += [f"- `{o.spec}`: {o.detail}" for o in details]
        lines += [f"- {n}" for n in notes]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
