"""Load a spec's data sources as `datasets.Dataset`s, offline for local files.

Local sources go through `datasets`' packaged builders (text, json, csv,
parquet) on the exact files the compiler resolved (inside the data roots).
Splits are deterministic: a text corpus is cut into contiguous parts in file
order (neighbouring lines of a held-out part never leak into training); record
data is permuted with the spec's seed, then cut by the declared fractions.
Hub sources are loaded by path, config name and pinned revision.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets

from specc.compiler.data_check import DataFileError, file_problems
from specc.compiler.datafiles import DataPathError, DataRoots, checked_folder, confine, local_folder
from specc.compiler.spec_model import HubSource

datasets.disable_progress_bars()  # a task's log is for what the op says, not loading bars

_BUILDERS = {"text": "text", "jsonl": "json", "csv": "csv", "parquet": "parquet"}


def load_hub(source: HubSource, folder: Path | None = None, roots: DataRoots | None = None) -> Any:
    """A hub dataset at its pinned revision (streams when `streaming: true`), or the local
    folder the compiler resolved `hf:` to (checked against the roots again here)."""
    if folder is not None:
        if roots is not None:
            checked_folder(Path(folder), roots, f"hf {source.hf!r}")
        name = str(folder)
    else:
        local = local_folder(source.hf, Path.cwd())
        if local is not None:  # datasets would read this folder instead of the hub
            raise DataPathError(f"hf {source.hf!r} names a local folder here ({local}), not a hub data set")
        name = source.hf
    return datasets.load_dataset(name, source.name, revision=source.revision,
                                 split=source.split, streaming=source.streaming)


def load_local(kind: str, files: tuple[Path, ...], cache_dir: str | None = None) -> datasets.Dataset:
    """All records of a local source, in file order.

    Files of one source may have different columns (BLiMP paradigms: only some have the
    one_prefix_* fields): each file is loaded on its own and a column a file lacks is
    filled with nulls, so the source has the union of the files' columns."""
    if kind not in _BUILDERS:
        raise ValueError(f"unknown local data kind {kind!r}; expected one of {sorted(_BUILDERS)}")
    def load(names: list[str]) -> datasets.Dataset:
        try:
            return datasets.load_dataset(_BUILDERS[kind], data_files=names, split="train", cache_dir=cache_dir)
        except Exception as exc:  # "An error occurred while generating the dataset": say where
            problems = [p for name in names for p in file_problems(Path(name), kind)]
            if problems:
                raise DataFileError("\n".join(problems)) from exc
            raise
    empty = [f for f in files if Path(f).stat().st_size == 0]
    if empty:  # `datasets` fails on these with a bare StopIteration, or loads nothing
        raise DataFileError("\n".join(file_problems(Path(f), kind)[0] for f in empty))
    if len(files) < 2 or kind == "text":
        return load([str(f) for f in files])
    parts = [load([str(f)]) for f in files]
    features: dict[str, Any] = {}
    for part in parts:
        for name, feature in part.features.items():
            features[name] = _wider(features.get(name), feature)
    if all(list(p.features) == list(features) for p in parts):
        return datasets.concatenate_datasets(parts)
    aligned = []
    for part in parts:
        for name, feature in features.items():
            if name not in part.column_names:
                part = part.add_column(name, [None] * len(part), feature=feature)
        aligned.append(part.select_columns(list(features)).cast(datasets.Features(features)))
    return datasets.concatenate_datasets(aligned)


def _wider(seen: Any, new: Any) -> Any:
    """The type a column gets across files: a real type beats all-null, float beats int."""
    if seen is None or getattr(seen, "dtype", None) == "null":
        return new
    numbers = {getattr(seen, "dtype", None), getattr(new, "dtype", None)}
    if numbers <= {"int64", "float64", "int32", "float32"} and len(numbers) > 1:
        return datasets.Value("float64")
    return seen


def split_parts(dataset: datasets.Dataset, fractions: dict[str, float], seed: int,
                contiguous: bool) -> dict[str, datasets.Dataset]:
    """Cut a dataset into named parts by fraction; every record lands in exactly one part."""
    n = len(dataset)
    order = list(range(n)) if contiguous else _permutation(n, seed)
    parts: dict[str, datasets.Dataset] = {}
    start = 0
    names = list(fractions)
    for i, name in enumerate(names):
        end = n if i == len(names) - 1 else start + round(fractions[name] * n)
        parts[name] = dataset.select(order[start:end])
        start = end
    return parts


def _permutation(n: int, seed: int) -> list[int]:
    import numpy as np
    return np.random.default_rng(seed).permutation(n).tolist()


def load_source(source: Any, files: tuple[Path, ...], part: str | None = None, seed: int = 0,
                cache_dir: str | None = None, roots: DataRoots | None = None) -> Any:
    """The dataset a reference like `corpus` or `corpus.train` names. With `roots`, every
    file is checked to lie inside them again, as it is opened (a symlink swapped since
    compiling is caught)."""
    if isinstance(source, HubSource):
        if part:
            raise ValueError("hub sources choose their split with `split:`, not `source.part`")
        return load_hub(source, files[0] if files else None, roots)
    if roots is not None:
        files = tuple(confine(f, roots) for f in files)
    dataset = load_local(source.kind, files, cache_dir)
    if part is None:
        return dataset
    if not source.split or part not in source.split:
        raise KeyError(f"data source has no part {part!r}")
    return split_parts(dataset, source.split, seed, contiguous=source.kind == "text")[part]
