"""Local folders a spec names outside `data:` files: `hf:` folders and models.

* `hf:` a local folder (`datasets` loads a folder as a data set): confined to the data
  roots, digested (every file) into the keys of the tasks that read it, and handed to
  workers as an absolute path, so the worker's working directory never matters.
* `path:` models: the folder and every file in it (weights, config, tokenizer) inside
  the roots after resolving symlinks; its digest joins the model's definition in keys,
  so swapping the weights is a cache miss.
* `hub:` names that exist as local folders: refused (transformers would load the folder),
  with a hint to write `path:`, which is checked.
"""
from __future__ import annotations

from pathlib import Path

from .datafiles import DataPathError, DataRoots, folder_digest, local_folder
from .errors import Diagnostics
from .spec_model import HubModel, HubSource, LocalModel, Spec


def hub_source_folder(name: str, source: HubSource, spec_dir: Path, roots: DataRoots,
                      diags: Diagnostics) -> tuple[Path | None, str | None]:
    """(folder, digest) when `hf:` names a local folder inside the roots; (None, None) for a
    hub data set; (None, "") after reporting a folder outside the roots."""
    folder = local_folder(source.hf, spec_dir)
    if folder is None:
        return None, None
    try:
        digest = folder_digest(folder, roots, f"data.{name}.hf {source.hf!r}")
    except (DataPathError, OSError) as exc:
        diags.error(("data", name, "hf"), f"data.{name}.hf: {exc}", getattr(exc, "hint", None))
        return None, ""
    return folder.resolve(), digest


def model_digests(spec: Spec, spec_dir: Path, roots: DataRoots, diags: Diagnostics) -> dict[str, str]:
    """Digest of each `path:` model's folder; errors for folders outside the roots and for
    `hub:` names that are local folders."""
    out: dict[str, str] = {}
    for name, model in spec.models.items():
        if isinstance(model, HubModel):
            folder = local_folder(model.hub, spec_dir)
            if folder is not None:
                diags.error(("models", name, "hub"),
                            f"models.{name}.hub: {model.hub!r} names a local folder ({folder}), not a "
                            "model on the hub",
                            f"write `path: {model.hub}` for a saved model (checked against the data roots)")
        elif isinstance(model, LocalModel):
            folder = Path(model.path).expanduser()
            folder = folder if folder.is_absolute() else spec_dir / folder
            try:
                out[name] = folder_digest(folder, roots, f"models.{name}.path {model.path!r}")
            except (DataPathError, OSError) as exc:
                diags.error(("models", name, "path"), f"models.{name}.path: {exc}", getattr(exc, "hint", None))
    return out
