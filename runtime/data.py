"""Load a spec's data sources as `datasets.Dataset`s, offline for local files.

Local sources go through `datasets`' packaged builders (text, json, csv,
parquet) on the exact files the compiler resolved (inside the data roots).
Splits are fixed for the whole spec (`specc.compiler.splits`): a text corpus is cut
into contiguous parts in file order (neighbouring lines of a held-out part never leak
into training); record data is permuted with the split's seed (the spec's, or
`split.seed`), or its groups are when the split has `group_by`, then cut by the
declared fractions. A limited reference keeps the first N records of its part or a
seeded sample of N.
Hub sources are loaded by path, config name and pinned revision.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets

from specc.compiler.data_check import DataFileError, file_problems
from specc.compiler.datafiles import DataPathError, DataRoots, checked_folder, confine, local_folder
from specc.compiler.spec_model import HubSource
from specc.compiler.splits import DataRefParts, assign_parts, group_key, limit_indices, parse_data_ref

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
    dataset = datasets.load_dataset(name, source.name, revision=source.revision, split=source.split,
                                    streaming=source.streaming, data_files=source.data_files)
    return dataset.rename_columns(source.rename) if source.rename else dataset


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


def load_source(source: Any, files: tuple[Path, ...], ref: str | None = None, seed: int = 0,
                cache_dir: str | None = None, roots: DataRoots | None = None) -> Any:
    """The dataset a reference like `corpus`, `corpus.train` or `prefs.heldout[:60]` names.

    `seed` is the split's seed (`specc.compiler.splits.split_seed`): the spec's, or the
    source's `split.seed`, or the task's only for a `per_seed` split. With `roots`, every
    file is checked to lie inside them again, as it is opened (a symlink swapped since
    compiling is caught)."""
    parsed = parse_data_ref(ref) if ref is not None else None
    if ref is not None and parsed is None:
        raise ValueError(f"{ref!r} is not a data reference like 'source.part[:100]'")
    part = parsed.part if parsed else None
    if isinstance(source, HubSource):
        if part:
            raise ValueError("hub sources choose their split with `split:`, not `source.part`")
        dataset = load_hub(source, files[0] if files else None, roots)
        return dataset if parsed is None or parsed.limit is None else _limit(dataset, parsed, seed)
    if roots is not None:   # every file again, as it is opened (a symlink swapped since compiling)
        files = tuple(confine(f, roots) for f in files)
    dataset = load_local(source.kind, files, cache_dir)
    if part is not None:
        if not source.split or part not in source.split.parts:
            raise KeyError(f"data source has no part {part!r}")
        dataset = dataset.select(part_rows(dataset, source, seed)[part])
    return dataset if parsed is None or parsed.limit is None else _limit(dataset, parsed, seed)


def part_rows(dataset: datasets.Dataset, source: Any, seed: int) -> dict[str, list[int]]:
    """Record indices of each part of a local source's split (grouped by `group_by`)."""
    split = source.split
    groups = None
    if split.group_by is not None:
        if split.group_by not in dataset.column_names:
            raise KeyError(f"group_by column {split.group_by!r} is not in the data "
                           f"(it has {', '.join(dataset.column_names)})")
        groups = [group_key(v) for v in dataset[split.group_by]]
    return assign_parts(len(dataset), split.parts, seed, groups, contiguous=source.kind == "text")


def _limit(dataset: Any, parsed: DataRefParts, seed: int) -> Any:
    if isinstance(dataset, datasets.IterableDataset):  # a streamed hub split: the first N only
        if parsed.sample:
            raise ValueError("a streamed hub dataset cannot be sampled; use [:N]")
        return dataset.take(parsed.limit)
    return dataset.select(limit_indices(len(dataset), parsed.limit, parsed.sample, seed))
