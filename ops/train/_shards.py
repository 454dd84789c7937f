"""Corpora tokenized once into shards in the store, and read back without loading them.

    stream = packed_corpus(ctx, "corpus.train", "text", tok)   a TokenStream (memory-mapped)
    stream.tokens(start, stop)        int64 tokens of the joined stream
    stream.document(d)                (start, stop) of document d, its EOS excluded
    StreamBlocks(stream, 128)         blocks of 128 tokens, gathered on demand

The stream is what `_blocks.token_stream` builds in memory: every document's tokens,
documents joined by EOS. It is written in shards of SHARD_TOKENS tokens (uint16 when the
vocabulary fits, else uint32) plus the start offset of each document, under
`<store>/.shared/corpora/<key>/`; the key covers the data's content digest, the reference
(part, limit), the split seed, the text field, how a plain-text file is cut into
documents, the tokenizer and this format, so every task with the same inputs reuses one
copy. Tokenizing streams: documents are read from the (memory-mapped) dataset in batches,
so memory stays bounded whatever the corpus size.

A plain-text source is one document per file (`text_documents: file`), tokenized in
pieces of about PIECE_CHARS characters cut before a line that starts with a non-space
character after a line that ends with one: byte-level BPE pre-tokenizes there anyway,
so the pieces' tokens are those of the whole text. `paragraphs` makes every run of
non-empty lines a document of its own (EOS between paragraphs).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterator

FORMAT = 1
SHARD_TOKENS = 1 << 25        # 32M tokens: 64 MiB per shard file at uint16
PIECE_CHARS = 1 << 16         # characters of plain text tokenized per call
BATCH_DOCS = 1000             # records tokenized per call


class TokenStream:
    """A packed corpus on disk: memory-mapped shards and document offsets."""

    def __init__(self, folder: Path):
        import numpy as np
        self.folder = Path(folder)
        self.meta = json.loads((self.folder / "meta.json").read_text())
        self.dtype = np.dtype(self.meta["dtype"])
        self.n_tokens = int(self.meta["tokens"])
        self.n_docs = int(self.meta["documents"])
        self.shard_tokens = int(self.meta["shard_tokens"])
        self.eos = self.meta["eos"]
        self._shards: dict[int, Any] = {}
        self._starts = (np.memmap(self.folder / "documents.bin", dtype=np.int64, mode="r")
                        if self.n_docs else np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return self.n_tokens

    def _shard(self, i: int):
        import numpy as np
        if i not in self._shards:
            self._shards[i] = np.memmap(self.folder / f"tokens-{i:05d}.bin", dtype=self.dtype, mode="r")
        return self._shards[i]

    def tokens(self, start: int, stop: int):
        """Tokens start .. stop-1 of the joined stream (int64), across shard boundaries."""
        import numpy as np
        out, pos = [], start
        while pos < stop:
            shard, offset = divmod(pos, self.shard_tokens)
            take = min(stop - pos, self.shard_tokens - offset)
            out.append(self._shard(shard)[offset:offset + take])
            pos += take
        return np.concatenate(out).astype(np.int64) if out else np.zeros(0, dtype=np.int64)

    def document(self, d: int) -> tuple[int, int]:
        """(start, stop) of document d in the stream; the EOS after it is not included."""
        start = int(self._starts[d])
        stop = int(self._starts[d + 1]) - 1 if d + 1 < self.n_docs else self.n_tokens
        return start, stop

    def document_lengths(self):
        """Tokens of every document (EOS excluded), as an int64 array."""
        import numpy as np
        if not self.n_docs:
            return np.zeros(0, dtype=np.int64)
        ends = np.append(np.asarray(self._starts[1:]) - 1, self.n_tokens)
        return ends - np.asarray(self._starts)


class StreamBlocks:
    """Consecutive blocks of `block_size` tokens of a stream (the ragged tail dropped)."""

    def __init__(self, stream: TokenStream, block_size: int):
        self.stream, self.block_size = stream, block_size

    def __len__(self) -> int:
        return len(self.stream) // self.block_size

    def gather(self, indices) -> Any:
        import numpy as np
        import torch
        bs = self.block_size
        rows = [self.stream.tokens(int(i) * bs, int(i) * bs + bs) for i in indices]
        return torch.from_numpy(np.stack(rows)) if rows else torch.zeros((0, bs), dtype=torch.long)


# -- writing ------------------------------------------------------------------------------

class ShardWriter:
    """Appends documents (token pieces) to shard files, EOS between documents."""

    def __init__(self, folder: Path, eos: int | None, vocab: int):
        import numpy as np
        self.folder, self.eos = folder, eos
        self.dtype = np.uint16 if vocab <= 65535 else np.uint32
        self.n_tokens, self.n_docs = 0, 0
        self._buffer: list = []
        self._buffered = 0
        self._starts: list[int] = []
        self._docs_file = open(folder / "documents.bin", "wb")

    def start_document(self) -> None:
        if self.n_docs:
            if self.eos is None:
                raise ValueError("the tokenizer defines no EOS token to separate documents with; "
                                 "give it one (train.tokenizer's first special token is EOS)")
            self._append([self.eos])
        self._starts.append(self.n_tokens + self._buffered)
        self.n_docs += 1
        if len(self._starts) >= 1 << 16:
            self._flush_starts()

    def add(self, ids: list[int]) -> None:
        self._append(ids)

    def _append(self, ids) -> None:
        import numpy as np
        self._buffer.append(np.asarray(ids, dtype=self.dtype))
        self._buffered += len(ids)
        if self._buffered >= 1 << 22:
            self._flush_tokens()

    def _flush_tokens(self) -> None:
        import numpy as np
        if not self._buffer:
            return
        data = np.concatenate(self._buffer)
        self._buffer, self._buffered = [], 0
        pos = 0
        while pos < len(data):  # fill the current shard, then the next
            shard, offset = divmod(self.n_tokens, SHARD_TOKENS)
            take = min(len(data) - pos, SHARD_TOKENS - offset)
            with open(self.folder / f"tokens-{shard:05d}.bin", "ab") as fh:
                data[pos:pos + take].tofile(fh)
            pos += take
            self.n_tokens += take

    def _flush_starts(self) -> None:
        import numpy as np
        np.asarray(self._starts, dtype=np.int64).tofile(self._docs_file)
        self._starts = []

    def close(self, meta: dict[str, Any]) -> None:
        import numpy as np
        self._flush_tokens()
        self._flush_starts()
        self._docs_file.close()
        meta = {**meta, "format": FORMAT, "tokens": self.n_tokens, "documents": self.n_docs,
                "dtype": np.dtype(self.dtype).name, "shard_tokens": SHARD_TOKENS, "eos": self.eos}
        (self.folder / "meta.json").write_text(json.dumps(meta, indent=1))


def text_pieces(lines: Iterator[str], documents: str) -> Iterator[tuple[bool, str]]:
    """(starts a new document, text) pieces of a plain-text source read line by line."""
    if documents == "paragraphs":
        para: list[str] = []
        for line in lines:
            if line.strip():
                para.append(line)
            elif para:
                yield True, "\n".join(para)
                para = []
        if para:
            yield True, "\n".join(para)
        return
    acc: list[str] = []
    size, first = 0, True
    for line in lines:
        if size >= PIECE_CHARS and acc and acc[-1] and not acc[-1][-1].isspace() \
                and line and not line[0].isspace():
            yield first, "\n".join(acc) + "\n"
            acc, size, first = [], 0, False
        acc.append(line)
        size += len(line) + 1
    yield first, "\n".join(acc)  # the whole file is one document, even an empty one


def _pieces(ctx, ref: str, text_field: str, text_documents: str,
            template: str | None = None) -> Iterator[tuple[bool, str]]:
    ds = ctx.data(ref)
    if ctx.data_kind(ref) == "text":
        lines = (line for batch in ds.iter(batch_size=BATCH_DOCS) for line in batch["text"])
        yield from text_pieces(lines, text_documents)
        return
    if template is not None:  # each record written from its fields (inject.template)
        from ._record_text import render_record
        for batch in ds.iter(batch_size=BATCH_DOCS):
            names = list(batch)
            for values in zip(*(batch[n] for n in names)):
                yield True, render_record(template, dict(zip(names, values)))
        return
    if text_field not in ds.column_names:
        raise KeyError(f"data source {ref!r} has no field {text_field!r} "
                       f"(it has {', '.join(ds.column_names)})")
    for batch in ds.iter(batch_size=BATCH_DOCS):
        for text in batch[text_field]:
            yield True, str(text)


def tokenizer_identity(tok) -> str:
    """A digest of the tokenizer's full definition (vocabulary, merges, normaliser ...)."""
    backend = getattr(tok, "backend_tokenizer", None)
    text = backend.to_str() if backend is not None else json.dumps(sorted(tok.get_vocab().items()))
    special = json.dumps([tok.eos_token_id, tok.bos_token_id, len(tok)])
    return hashlib.sha256((text + special).encode()).hexdigest()


def corpus_key(ctx, ref: str, text_field: str, text_documents: str, tokenizer_id: str,
               template: str | None = None) -> str:
    parts = {"format": FORMAT, "data": ctx.data_identity(ref), "field": text_field,
             "documents": text_documents, "tokenizer": tokenizer_id}
    if template is not None:  # only when set: the shards of field-read corpora keep their keys
        parts["template"] = template
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def packed_corpus(ctx, ref: str, text_field: str, tok, tokenizer_id: str,
                  text_documents: str = "file", template: str | None = None) -> TokenStream:
    """The reference's documents tokenized into shards in the store (built once, then
    reused); with `template`, each record's document is written from its fields."""
    key = corpus_key(ctx, ref, text_field, text_documents, tokenizer_id, template)
    folder = ctx.shared_folder("corpora", key)
    if (folder / "meta.json").exists():
        ctx.log(f"corpus {ref}: reusing its shards ({folder.name[:12]})")
        return TokenStream(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{key}-{uuid.uuid4().hex}")
    tmp.mkdir()
    try:
        writer = ShardWriter(tmp, tok.eos_token_id, len(tok))
        batch: list[tuple[bool, str]] = []
        chars = 0
        for piece in _pieces(ctx, ref, text_field, text_documents, template):
            batch.append(piece)
            chars += len(piece[1])
            if len(batch) >= BATCH_DOCS or chars >= PIECE_CHARS * 16:
                _write(writer, tok, batch)
                batch, chars = [], 0
        _write(writer, tok, batch)
        writer.close({"ref": ref, "text_field": text_field, "text_documents": text_documents,
                      "tokenizer": tokenizer_id, "template": template})
        try:
            os.rename(tmp, folder)
        except OSError:  # another task published the same shards first: use theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    stream = TokenStream(folder)
    ctx.log(f"corpus {ref}: {stream.n_tokens:,} tokens in {stream.n_docs:,} documents, packed into shards")
    return stream


def _write(writer: ShardWriter, tok, batch: list[tuple[bool, str]]) -> None:
    if not batch:
        return
    # No special tokens per text (a hub tokenizer may add BOS): EOS alone separates documents.
    ids = tok([text for _new, text in batch], add_special_tokens=False, verbose=False)["input_ids"]
    for (new, _text), piece in zip(batch, ids):
        if new:
            writer.start_document()
        writer.add(piece)
