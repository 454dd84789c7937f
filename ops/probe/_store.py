"""Activation arrays in an artifact: shards of raw floats and the table that indexes them.

probe.activations writes `shards/L<layer>-<k>.bin` (row-major, `meta.json` gives dtype
and width) by appending each batch, so a task's memory never holds more than a batch.
`load_activations` maps them back (np.memmap: nothing is read until used).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

SHARDS = "shards"


class ShardWriter:
    def __init__(self, out: Path, layers: Sequence[int], dtype: str, shard_rows: int,
                 pooling: object, depth: int, site: str):
        from ._params import pooling_name
        self.folder = Path(out) / SHARDS
        self.folder.mkdir(parents=True, exist_ok=True)
        self.dtype, self.shard_rows, self.pooling = np.dtype(dtype), shard_rows, pooling_name(pooling)
        self.meta = {"dtype": dtype, "layers": list(layers), "depth": depth, "site": site,
                     "pooling": self.pooling, "width": None}
        self.files: dict[int, Any] = {}
        self.counts = {layer: 0 for layer in layers}   # rows written per layer
        self.index: dict[str, list] = {"item": [], "layer": [], "position": [], "shard": [], "row": []}

    def _file(self, layer: int, count: int):
        shard = f"L{layer:03d}-{count // self.shard_rows:05d}.bin"
        handle = self.files.get(layer)
        if handle is None or Path(handle.name).name != shard:
            if handle is not None:
                handle.close()
            handle = self.files[layer] = open(self.folder / shard, "ab")
        return handle, shard

    def add(self, layer: int, hidden: Any, index: np.ndarray, lengths: np.ndarray,
            positions: np.ndarray | None = None) -> None:
        """Append one batch's vectors for `layer` ([batch, tokens, width] hidden states)."""
        from ._forward import pool
        if self.pooling == "all":
            parts = [hidden[r, :lengths[r]] for r in range(len(index))]
            items = np.repeat(index, lengths)
            where = np.concatenate([np.arange(n) for n in lengths])
            vectors = np.concatenate([p.float().cpu().numpy() for p in parts])
        else:
            vectors = pool(hidden, lengths, self.pooling, positions).float().cpu().numpy()
            items, where = index, (positions if positions is not None else np.full(len(index), -1))
        self.meta["width"] = int(vectors.shape[1])
        vectors = vectors.astype(self.dtype, copy=False)
        start = 0
        while start < len(vectors):   # rows may straddle a shard boundary
            count = self.counts[layer]
            handle, shard = self._file(layer, count)
            take = min(len(vectors) - start, self.shard_rows - count % self.shard_rows)
            np.ascontiguousarray(vectors[start:start + take]).tofile(handle)
            rows = np.arange(count, count + take) % self.shard_rows
            self.index["item"].extend(items[start:start + take].tolist())
            self.index["position"].extend(np.asarray(where[start:start + take]).tolist())
            self.index["layer"].extend([layer] * take)
            self.index["shard"].extend([shard] * take)
            self.index["row"].extend(rows.tolist())
            self.counts[layer] = count + take
            start += take

    def close(self):
        import pandas as pd
        for handle in self.files.values():
            handle.close()
        (self.folder / "meta.json").write_text(json.dumps(self.meta, indent=1))
        table = pd.DataFrame(self.index).astype({"item": "int64", "layer": "int64", "row": "int64",
                                                 "position": "int64"})
        if self.pooling not in ("all", "named"):
            table = table.drop(columns="position")
        return table.sort_values(["layer", "item"] + (["position"] if "position" in table else []),
                                 kind="stable").reset_index(drop=True)


def read_meta(folder: Path) -> dict:
    return json.loads((Path(folder) / SHARDS / "meta.json").read_text())


def load_vectors(folder: Path, table: Any) -> np.ndarray:
    """The vectors of the index rows `table` (one artifact's), stacked as float32."""
    meta = read_meta(folder)
    dtype, width = np.dtype(meta["dtype"]), meta["width"]
    out = np.empty((len(table), width), dtype=np.float32)
    maps: dict[str, np.ndarray] = {}
    shards = table["shard"].to_numpy()
    rows = table["row"].to_numpy()
    for shard in dict.fromkeys(shards):
        path = Path(folder) / SHARDS / shard
        if shard not in maps:
            n = path.stat().st_size // (dtype.itemsize * width)
            maps[shard] = np.memmap(path, dtype=dtype, mode="r", shape=(n, width))
        mask = shards == shard
        out[mask] = maps[shard][rows[mask]]
    return out


def load_activations(ctx: Any, stage: str) -> list[tuple[Any, Path]]:
    """Each input artifact of a probe.activations stage: (its index table, its folder)."""
    import pandas as pd
    return [(pd.read_parquet(folder / "table.parquet"), folder) for folder in ctx.artifacts(stage)]
