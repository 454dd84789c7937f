"""Document-level injection: injected documents inserted between corpus documents.

    mixed = MixedStream.build(folder, corpus, [(stream_1, 0.05), ...], "documents", seed)
    MixedBlocks(mixed, block_size)      blocks of the mixed stream, gathered on demand
    mixed.realised()                    the fractions the stream really has

The mixed stream is the corpus's documents in their order with injected documents
placed between them, joined by EOS like any packed corpus, then cut into blocks (which
train in a seeded order per epoch, as usual). Where injected documents go:

* `documents`: position i of the document sequence is injected when
  floor((i+1)·F) > floor(i·F) (F, the sum of the sources' fractions), so after n
  documents exactly floor(n·F) are injected: the declared fraction of documents, within
  one document at every point of the stream;
* `tokens`: after each corpus document, injected documents are added while that brings
  the injected share of tokens closer to F; the realised share is within one injected
  document of the declared one.

With several sources, each slot goes to the source furthest below its own share. Each
source's documents come in seeded epoch orders (a source smaller than its share repeats).

The stream is an index of segments (source, document, start offset) written to files
and memory-mapped, so memory does not grow with the corpus. It is built once per corpus,
sources, fractions, unit and seed, in the store beside the shards.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from ._blocks import _epoch_key, permute

CHUNK = 1 << 16   # segments written per flush


class MixedStream:
    def __init__(self, folder: Path, streams: Sequence[Any]):
        import numpy as np
        self.folder, self.streams = Path(folder), list(streams)
        self.meta = json.loads((self.folder / "meta.json").read_text())
        n = self.meta["segments"]
        self.source = np.memmap(self.folder / "source.bin", dtype=np.uint8, mode="r", shape=(n,))
        self.doc = np.memmap(self.folder / "doc.bin", dtype=np.int64, mode="r", shape=(n,))
        self.start = np.memmap(self.folder / "start.bin", dtype=np.int64, mode="r", shape=(n,))
        self.n_tokens = int(self.meta["tokens"])
        self.eos = streams[0].eos

    def __len__(self) -> int:
        return self.n_tokens

    @classmethod
    def build(cls, folder: Path, corpus, injects: Sequence[tuple[Any, float]], unit: str, seed: int) -> "MixedStream":
        """The index in `folder` (reused when it exists; published with one rename)."""
        folder = Path(folder)
        streams = [corpus, *[s for s, _f in injects]]
        if (folder / "meta.json").exists():
            return cls(folder, streams)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.with_name(f".{folder.name}-{uuid.uuid4().hex}")
        tmp.mkdir()
        try:
            meta = _write_index(tmp, corpus, injects, unit, seed)
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
            try:
                os.rename(tmp, folder)
            except OSError:  # built by another task meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls(folder, streams)

    def tokens(self, start: int, stop: int):
        """Tokens start .. stop-1 of the mixed stream (int64)."""
        import numpy as np
        out, pos = [], start
        k = int(np.searchsorted(self.start, start, side="right")) - 1
        while pos < stop:
            seg_start = int(self.start[k])
            stream = self.streams[int(self.source[k])]
            d0, d1 = stream.document(int(self.doc[k]))
            seg_len = d1 - d0
            offset = pos - seg_start
            if offset < seg_len:
                take = min(stop - pos, seg_len - offset)
                out.append(stream.tokens(d0 + offset, d0 + offset + take))
                pos += take
            if pos < stop and pos == seg_start + seg_len:  # the EOS after the segment
                out.append(np.array([self.eos], dtype=np.int64))
                pos += 1
            k += 1
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def injected_tokens_in(self, start: int, stop: int) -> int:
        """Tokens of injected documents among positions start .. stop-1 (EOS not counted)."""
        import numpy as np
        first = int(np.searchsorted(self.start, start, side="right")) - 1
        last = int(np.searchsorted(self.start, stop, side="left"))
        total = 0
        for k in range(max(first, 0), last):
            if self.source[k] == 0:
                continue
            d0, d1 = self.streams[int(self.source[k])].document(int(self.doc[k]))
            seg0 = int(self.start[k])
            total += max(0, min(stop, seg0 + d1 - d0) - max(start, seg0))
        return total

    def realised(self) -> dict[str, Any]:
        return {k: self.meta[k] for k in ("unit", "declared", "documents", "injected_documents",
                                          "document_share", "corpus_tokens", "injected_tokens",
                                          "token_share", "per_source")}


class MixedBlocks:
    """Consecutive blocks of a mixed stream, like `_shards.StreamBlocks`."""

    def __init__(self, mixed: MixedStream, block_size: int):
        self.mixed, self.block_size = mixed, block_size

    def __len__(self) -> int:
        return len(self.mixed) // self.block_size

    def gather(self, indices):
        import numpy as np
        import torch
        bs = self.block_size
        rows = [self.mixed.tokens(int(i) * bs, int(i) * bs + bs) for i in indices]
        return torch.from_numpy(np.stack(rows)) if rows else torch.zeros((0, bs), dtype=torch.long)

    def injected_tokens(self, indices) -> int:
        bs = self.block_size
        return sum(self.mixed.injected_tokens_in(int(i) * bs, int(i) * bs + bs) for i in indices)


def _write_index(folder: Path, corpus, injects, unit: str, seed: int) -> dict[str, Any]:
    import numpy as np
    fractions = [Fraction(str(f)) for _s, f in injects]
    total = sum(fractions, Fraction(0))
    if total >= 1:
        raise ValueError(f"injected fractions add up to {float(total):g}; they must stay below 1")
    lengths = [corpus.document_lengths(), *[s.document_lengths() for s, _f in injects]]
    for j, (stream, frac) in enumerate(injects, start=1):
        if frac and stream.n_docs == 0:
            raise ValueError(f"inject source {j} has no document to insert")
    files = {name: open(folder / f"{name}.bin", "wb") for name in ("source", "doc", "start")}
    buf: dict[str, list] = {"source": [], "doc": [], "start": []}
    taken = [0] * (len(injects) + 1)      # documents placed per source
    tokens = [0] * (len(injects) + 1)     # their tokens
    pos = 0                               # next token offset of the mixed stream
    n_segments = 0

    def place(source: int) -> None:
        nonlocal pos, n_segments
        doc = taken[0] if source == 0 else _peek(taken[source], len(lengths[source]), seed, source)
        if n_segments:
            pos += 1  # the EOS between two documents
        buf["source"].append(source)
        buf["doc"].append(doc)
        buf["start"].append(pos)
        pos += int(lengths[source][doc])
        taken[source] += 1
        tokens[source] += int(lengths[source][doc])
        n_segments += 1
        if len(buf["doc"]) >= CHUNK:
            _flush(buf, files)

    def neediest() -> int:
        # The source furthest below its share of what was injected so far (documents or tokens).
        done = taken if unit == "documents" else tokens
        placed = sum(done[1:])
        return max(range(1, len(injects) + 1),
                   key=lambda j: (fractions[j - 1] / total * (placed + 1) - done[j], -j))

    n_corpus = len(lengths[0])
    while taken[0] < n_corpus:
        if unit == "documents":
            n = n_segments  # position about to be filled
            injected = sum(taken[1:])
            if total and (n + 1) * total.numerator // total.denominator > injected:
                place(neediest())
                continue
            place(0)
        else:
            place(0)
            # Add injected documents while that brings the token share closer to the target.
            while total:
                j = neediest()
                nxt = int(lengths[j][_peek(taken[j], len(lengths[j]), seed, j)])
                inj, corp = sum(tokens[1:]), tokens[0]
                if abs((inj + nxt) - total * (inj + nxt + corp)) >= abs(inj - total * (inj + corp)):
                    break
                place(j)
    _flush(buf, files)
    for fh in files.values():
        fh.close()
    injected_docs = sum(taken[1:])
    return {"unit": unit, "declared": float(total), "segments": n_segments,
            "tokens": pos, "documents": n_segments, "injected_documents": injected_docs,
            "document_share": injected_docs / max(n_segments, 1),
            "corpus_tokens": tokens[0], "injected_tokens": sum(tokens[1:]),
            "token_share": sum(tokens[1:]) / max(sum(tokens), 1),
            "per_source": [{"declared": float(f), "documents": taken[j], "tokens": tokens[j]}
                           for j, f in enumerate(fractions, start=1)]}


def _peek(count: int, size: int, seed: int, source: int) -> int:
    epoch, offset = divmod(count, size)
    return int(permute([offset], size, _epoch_key(seed, source, epoch))[0])


def _flush(buf: dict[str, list], files: dict[str, Any]) -> None:
    import numpy as np
    dtypes = {"source": np.uint8, "doc": np.int64, "start": np.int64}
    for name, values in buf.items():
        np.asarray(values, dtype=dtypes[name]).tofile(files[name])
        values.clear()
