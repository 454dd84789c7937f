"""`specc image build | show | lock`: the pinned container image (containers/README.md)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

image_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="The pinned container image: build it, show what is pinned, regenerate its lock.")

EngineOpt = typer.Option(None, "--engine", help="podman or docker (default: SPECC_CONTAINER_ENGINE, else podman).")
VariantOpt = typer.Option("cpu", "--variant", help="cpu or cuda.")
DirOpt = typer.Option(None, "--dir", help="The containers/ folder (default: the one of this repository).")


def _fail(exc: Exception) -> None:
    from specc.cli import EXIT_SPEC_ERROR, err
    err.print(f"specc image: {exc}", markup=False)
    raise typer.Exit(EXIT_SPEC_ERROR if not isinstance(exc, RuntimeError) else 1)


def _folder(folder: Optional[Path]) -> Path:
    """--dir, else `containers/` of the repository holding the working directory."""
    from specc.compiler.datafiles import repository_root
    from specc.containers.variants import ImageError
    if folder is not None:
        return folder.resolve()
    found = repository_root(Path.cwd().resolve()) / "containers"
    if not (found / "cpu" / "Containerfile").exists():
        raise ImageError(f"{found} has no image recipes: run specc image in a specc checkout, or pass --dir")
    return found


@image_app.command()
def build(variant: str = VariantOpt, engine: Optional[str] = EngineOpt, folder: Optional[Path] = DirOpt,
          rebuild_base: bool = typer.Option(False, "--rebuild-base", help="Make the cpu base again "
                                            "(debootstrap) instead of reusing the cached one.")) -> None:
    """Build the image from its recipe and lock file and pin its digest in containers/image.lock."""
    from specc.cli import out
    from specc.containers.build import build_image
    from specc.containers.variants import ImageError
    try:
        build_image(_folder(folder), variant, engine, rebuild_base, log=lambda m: out.print(m, markup=False))
    except ImageError as exc:
        _fail(exc)


@image_app.command()
def show(folder: Optional[Path] = DirOpt,
         as_json: bool = typer.Option(False, "--json", help="Print image.lock's entries as JSON.")) -> None:
    """Print what containers/image.lock pins, and whether the engine here has each image."""
    import json
    from specc.cli import out
    from specc.containers.engine import Engine
    from specc.containers.imagelock import lock_path, read_image_lock
    from specc.containers.variants import ImageError
    try:
        where = _folder(folder)
        images = read_image_lock(where)
    except ImageError as exc:
        _fail(exc)
    if as_json:
        out.print(json.dumps(images, indent=1, sort_keys=True), markup=False)
        return
    if not images:
        out.print(f"{lock_path(where)}: nothing pinned yet; build with `specc image build --variant cpu`",
                  markup=False)
        return
    try:
        engine = Engine.find()
    except ImageError:
        engine = None
    for name, rec in sorted(images.items()):
        env = rec.get("environment") or {}
        here = "(no engine here)" if engine is None else (
            "present here" if engine.image_id(rec["digest"]) == rec["digest"] else "absent here")
        base = rec.get("base") or {}
        pkgs = env.get("packages") or {}
        out.print(f"{name}: {rec['digest']}  {rec.get('tag', '')}  [{here}]", markup=False)
        out.print(f"  built {rec.get('built')} with {rec.get('engine')}; OS {rec.get('os')}; "
                  f"Python {env.get('python')}; specc {env.get('specc')}", markup=False)
        out.print(f"  base: {base.get('kind')} {base.get('digest') or base.get('ref')}", markup=False)
        req = rec.get("requirements") or {}
        out.print(f"  requirements: {req.get('file')} ({req.get('packages')} packages, {req.get('sha256')})",
                  markup=False)
        out.print("  " + ", ".join(f"{k} {v}" for k, v in sorted(pkgs.items()) if v), markup=False)


@image_app.command()
def lock(variant: str = VariantOpt, folder: Optional[Path] = DirOpt,
         fresh: bool = typer.Option(False, "--fresh", help="Resolve the newest allowed versions instead of "
                                    "this environment's.")) -> None:
    """Regenerate containers/requirements-<variant>.lock: exact versions and sha256 hashes (pip)."""
    from specc.cli import out
    from specc.containers.requirements import resolve, write_lock
    from specc.containers.variants import ImageError, variant as get_variant
    try:
        where = _folder(folder)
        v = get_variant(variant)
        reqs = resolve(v, where.parent, fresh)
        write_lock(v.requirements_path(where), v, reqs, fresh)
    except ImageError as exc:
        _fail(exc)
    out.print(f"{v.requirements_path(where)}: {len(reqs)} packages with their sha256", markup=False)
