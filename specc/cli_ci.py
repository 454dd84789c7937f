"""`specc ci`, `specc init` and `specc hook`: the commit-to-run workflow (see specc/ci.py)."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Optional

import typer

from specc.ci import (CiError, SpecOutcome, apply_trusted, changed_files, changed_specs, ci_summary,
                      config_at, git, project_config, repo_root, results_json, spec_globs, trusted_setup)

EXIT_SPEC_ERROR = 2
WORKFLOW = Path(__file__).with_name("workflow.yml")
WORKFLOW_PATH = Path(".github/workflows/specc.yml")
HOOK_MARK = "# installed by `specc hook install`"
# This project's own workflow installs specc from its checkout (the README's first command).
PROJECT_INSTALL = "pip install torch==2.13.0 && pip install -e ."

hook_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="A git pre-commit hook that validates staged specs and freezes their pre-registration.")


def register(app: typer.Typer, out, err) -> None:
    """Add the commands to specc's app (`out`/`err`: its rich consoles)."""

    @app.command()
    def ci(since: str = typer.Option(..., "--since", help="Base ref: specs added or changed since it run."),
           profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile to run with (empty: none)."),
           summary: Path = typer.Option(Path(".specc/ci-summary.md"), "--summary",
                                        help="Where to write the Markdown summary."),
           store: Optional[str] = typer.Option(None, "--store", help="Artifact store (default .specc/store)."),
           allow_cpu: bool = typer.Option(False, "--allow-cpu", help="Run GPU stages on CPU."),
           where: Path = typer.Option(Path("."), "--in", help="A folder inside the repository.")) -> None:
        """Validate the specs changed since a ref; freeze new ones, run locked ones; write a summary."""
        code = run_ci(where, since, profile or None, summary, store, allow_cpu, out, err)
        raise typer.Exit(code)

    @app.command()
    def init(install: str = typer.Option("pip install specc", "--install",
                                         help="The workflow's install command."),
             where: Path = typer.Option(Path("."), "--in", help="A folder inside the repository."),
             force: bool = typer.Option(False, "--force", help="Overwrite an existing workflow.")) -> None:
        """Add the specc GitHub Actions workflow (and a specc.toml if missing) to a repository."""
        try:
            repo = repo_root(where)
        except CiError as exc:
            err.print(f"specc init: {exc}", markup=False)
            raise typer.Exit(EXIT_SPEC_ERROR)
        target = repo / WORKFLOW_PATH
        if target.exists() and not force:
            err.print(f"specc init: {target} exists (use --force to overwrite)", markup=False)
            raise typer.Exit(1)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(workflow_text(install))
        out.print(f"wrote {target}", markup=False)
        config = repo / "specc.toml"
        if not config.exists():
            config.write_text("# Project configuration for specc (trusted: reviewed like code).\n"
                              "[data]\nroots = []       # folders outside the repository specs may read\n"
                              "[plugins]\nmodules = []    # op plugin modules CI may load\n")
            out.print(f"wrote {config}", markup=False)
        (repo / "specs").mkdir(exist_ok=True)

    @hook_app.command("install")
    def hook_install(where: Path = typer.Option(Path("."), "--in", help="A folder inside the repository.")) -> None:
        """Install the pre-commit hook in this repository."""
        try:
            path = install_hook(repo_root(where))
        except (CiError, FileExistsError) as exc:
            err.print(f"specc hook install: {exc}", markup=False)
            raise typer.Exit(1)
        out.print(f"installed {path}", markup=False)

    @hook_app.command("run")
    def hook_run(where: Path = typer.Option(Path("."), "--in", help="A folder inside the repository.")) -> None:
        """What the hook runs: validate staged specs, freeze and stage their pre-registration."""
        raise typer.Exit(run_hook(where, out, err))

    app.add_typer(hook_app, name="hook")


def workflow_text(install: str) -> str:
    return WORKFLOW.read_text().replace("__INSTALL__", install)


def install_hook(repo: Path) -> Path:
    hooks = Path(git(repo, "rev-parse", "--git-path", "hooks").strip())
    hooks = hooks if hooks.is_absolute() else repo / hooks
    hooks.mkdir(parents=True, exist_ok=True)
    path = hooks / "pre-commit"
    if path.exists() and HOOK_MARK not in path.read_text(errors="replace"):
        raise FileExistsError(f"{path} exists and is not specc's; call `specc hook run` from it instead")
    # The interpreter that installed the hook runs it, so the hook works outside the venv too.
    path.write_text(f"#!/bin/sh\n{HOOK_MARK}\nexec '{sys.executable}' -m specc.cli hook run\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _compile(spec: Path, profile: Optional[str], err):
    from specc.compiler import compile_spec
    from specc.compiler.errors import SpecErrors
    try:
        plan = compile_spec(spec, profile=profile)
    except SpecErrors as exc:
        for d in exc.diagnostics:
            err.print(str(d), markup=False)
        return None
    for d in plan.warnings:
        err.print(str(d), markup=False)
    return plan


def run_hook(where: Path, out, err) -> int:
    """Block a commit with an invalid staged spec; add each valid new spec's lock and report."""
    from specc.prereg.lock import LockError, read_lock
    from specc.prereg.report import write_preregistration
    try:
        repo = repo_root(where)
    except CiError as exc:
        err.print(f"specc hook: {exc}", markup=False)
        return 1
    globs = spec_globs(project_config(config_at(repo, None)))
    staged = git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR").splitlines()
    specs = [rel for rel in staged if _is_spec(rel, globs)]
    if not specs:
        return 0
    unstaged = set(git(repo, "diff", "--name-only").splitlines())
    partial = [rel for rel in specs if rel in unstaged]
    if partial:
        err.print("specc hook: stage every change of a spec before committing it (the hook checks the file "
                  "as it is on disk): " + ", ".join(partial), markup=False)
        return 1
    plans = {rel: _compile(_shown(repo / rel), None, err) for rel in specs}
    bad = [rel for rel, plan in plans.items() if plan is None]
    if bad:
        err.print(f"specc hook: commit blocked: {len(bad)} invalid spec(s): {', '.join(bad)}", markup=False)
        return 1
    for rel, plan in plans.items():
        lock = read_lock(repo / rel, plan.spec.name)
        if lock is not None:
            if not _lock_matches(plan, lock):
                err.print(f"specc hook: {rel}: its confirmatory content differs from {lock.path.name}; runs will "
                          "report the deviations (amend on purpose: specc prereg --amend --reason ...)", markup=False)
            continue
        try:
            report, lock = write_preregistration(plan, repo / rel)
        except LockError as exc:
            err.print(f"specc hook: {rel}: {exc}", markup=False)
            return 1
        git(repo, "add", "--", str(lock.path), str(report))
        out.print(f"specc hook: {rel}: pre-registration frozen and staged ({lock.path.name}, "
                  f"{report.relative_to(repo)})", markup=False)
    return 0


def _shown(path: Path) -> Path:
    """Relative to the working folder when inside it, so messages read `specs/x.yaml:7:9`."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _is_spec(rel: str, globs) -> bool:
    from specc.ci import is_spec_path
    return is_spec_path(rel, globs)


def _lock_matches(plan, lock) -> bool:
    from specc.prereg.lock import confirmatory_content, content_hash
    return content_hash(confirmatory_content(plan)) == lock.hash


def run_ci(where: Path, since: str, profile: Optional[str], summary: Path, store: Optional[str],
           allow_cpu: bool, out, err) -> int:
    """The `specc ci` pipeline; returns the exit code (2 invalid specs or setup, 1 failed runs)."""
    try:
        repo = repo_root(where)
        changed = changed_files(repo, since)
        setup = trusted_setup(repo, since, changed)
    except CiError as exc:
        err.print(f"specc ci: {exc}", markup=False)
        return EXIT_SPEC_ERROR
    apply_trusted(setup)   # before the op registry is imported: plugins come from the base ref
    for note in setup.notes:
        err.print(f"specc ci: {note}", markup=False)
    specs = changed_specs(repo, since, spec_globs(project_config(config_at(repo, since))))
    out.print(f"specc ci: {len(specs)} spec(s) changed since {since}: "
              + (", ".join(str(s.relative_to(repo)) for s in specs) or "none"), markup=False)
    outcomes, plans = [], {}
    for spec in specs:   # every spec is validated before anything runs
        shown = _shown(spec)
        plans[spec] = (_compile(shown, None, err), _compile(shown, profile, err) if profile else None)
    for spec, (full, profiled) in plans.items():
        if full is None or (profile and profiled is None):
            outcomes.append(SpecOutcome(str(spec.relative_to(repo)), "invalid",
                                        detail="see the `file:line:col` messages in the log"))
    if outcomes:
        _write_summary(summary, repo, outcomes, since, profile, setup.notes, out)
        return EXIT_SPEC_ERROR
    failed = False
    for spec, (full, profiled) in plans.items():
        outcome = _ci_one(repo, spec, full, profiled or full, store, allow_cpu, out, err)
        failed |= outcome.action == "failed"
        outcomes.append(outcome)
    _write_summary(summary, repo, outcomes, since, profile, setup.notes, out)
    return 1 if failed else 0


def _ci_one(repo: Path, spec: Path, full, plan, store, allow_cpu, out, err) -> SpecOutcome:
    from specc.prereg.lock import LockError, read_lock
    from specc.prereg.report import write_preregistration
    from specc.runtime.cluster import Infeasible
    from specc.runtime.progress import Progress
    from specc.runtime.run import RunOptions, RunSetupError, run_plan
    rel = str(spec.relative_to(repo))
    if read_lock(spec, full.spec.name) is None:
        try:
            report, lock = write_preregistration(full, spec)
        except LockError as exc:
            return SpecOutcome(rel, "failed", detail=str(exc))
        out.print(f"specc ci: {rel}: pre-registration frozen ({lock.hash[:12]})", markup=False)
        return SpecOutcome(rel, "frozen", report=str(report.relative_to(repo)))
    try:
        result = run_plan(plan, RunOptions(store=store, allow_cpu=allow_cpu),
                          lambda p: Progress(p, out, live=False))
    except (Infeasible, RunSetupError) as exc:
        return SpecOutcome(rel, "failed", detail=f"cannot run: {exc}")
    verdicts = {hid: v.status for hid, v in result.verdicts.items()}
    deviations = len(results_json(repo, result.run_id).get("deviations") or ())
    report = str(Path(result.report).resolve().relative_to(repo)) if result.report else None
    detail = "; ".join(f"{t}: {e}" for t, e in result.failed[:3])
    return SpecOutcome(rel, "ran" if result.ok else "failed", verdicts, deviations, report, detail)


def _write_summary(path: Path, repo: Path, outcomes, since, profile, notes, out) -> None:
    text = ci_summary(outcomes, since, profile, notes)
    path = path if path.is_absolute() else Path(os.getcwd()) / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    out.print(text, markup=False)
    out.print(f"specc ci: summary written to {path}", markup=False)
