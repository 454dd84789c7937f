"""Corpora packed into shards and streamed: the same tokens as packing in memory, the same
blocks, and the same weights after training."""
from __future__ import annotations

import pytest

from specc.ops.train import _shards
from specc.ops.train._blocks import BlockOrder, StepBatches, TensorBlocks, pack, permute, token_stream
from specc.ops.train._loop import Settings, train
from specc.ops.train._shards import StreamBlocks, packed_corpus, text_pieces

from stream_helpers import SHARED, StreamCtx, bpe_tokenizer, records, text_source

SHAKESPEARE = SHARED / "corpora" / "tinyshakespeare.txt"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The first 2,000 lines of Shakespeare as a text file, and a tokenizer trained on it."""
    root = tmp_path_factory.mktemp("corpus")
    lines = SHAKESPEARE.read_text().split("\n")[:2000]
    path = root / "small.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, lines, bpe_tokenizer(lines)


def test_shards_hold_the_in_memory_token_stream(tmp_path, corpus, monkeypatch):
    path, lines, tok = corpus
    monkeypatch.setattr(_shards, "PIECE_CHARS", 500)      # many pieces, cut mid-file
    monkeypatch.setattr(_shards, "SHARD_TOKENS", 4096)    # several shard files
    ctx = StreamCtx(tmp_path, {"c": ("text", text_source(path))})
    stream = packed_corpus(ctx, "c", "text", tok, "tok")
    expected = token_stream(tok, ["\n".join(lines)])      # the whole file, tokenized at once
    assert len(list(stream.folder.glob("tokens-*.bin"))) > 3
    assert stream.n_docs == 1 and (stream.tokens(0, len(stream)) == expected).all()
    assert (stream.tokens(4000, 4200) == expected[4000:4200]).all()   # across a shard boundary
    blocks = StreamBlocks(stream, 64)
    assert (blocks.gather([0, 7, len(blocks) - 1]) == pack(tok, ["\n".join(lines)], 64)[[0, 7, -1]]).all()


def test_records_are_documents_joined_by_eos(tmp_path, corpus):
    _path, lines, tok = corpus
    docs = [line for line in lines[:300] if line.strip()]
    ctx = StreamCtx(tmp_path, {"r": ("jsonl", records(docs))})
    stream = packed_corpus(ctx, "r", "text", tok, "tok")
    assert stream.n_docs == len(docs)
    assert (stream.tokens(0, len(stream)) == token_stream(tok, docs)).all()
    start, stop = stream.document(3)
    assert tok.decode(stream.tokens(start, stop)) == docs[3]


def test_shards_are_built_once_and_reused(tmp_path, corpus):
    _path, lines, tok = corpus
    ctx = StreamCtx(tmp_path, {"r": ("jsonl", records(lines[:50]))})
    first = packed_corpus(ctx, "r", "text", tok, "tok")
    again = packed_corpus(ctx, "r", "text", tok, "tok")
    assert first.folder == again.folder and any("reusing" in m for m in ctx.logs)


def test_paragraphs_are_documents():
    pieces = list(text_pieces(iter(["a", "b", "", "", "c", ""]), "paragraphs"))
    assert pieces == [(True, "a\nb"), (True, "c")]


def test_permutation_is_a_bijection():
    for n in (1, 2, 3, 17, 1000, 4097):
        assert sorted(permute(range(n), n, key=7).tolist()) == list(range(n))
    assert permute(range(100), 100, key=1).tolist() != permute(range(100), 100, key=2).tolist()


def test_streaming_trains_to_the_same_weights_as_in_memory(tmp_path, corpus):
    import torch
    import transformers
    path, lines, tok = corpus
    stream = packed_corpus(StreamCtx(tmp_path, {"c": ("text", text_source(path))}), "c", "text", tok, "tok")
    in_memory = TensorBlocks(pack(tok, ["\n".join(lines)], 32))
    streamed = StreamBlocks(stream, 32)
    assert len(in_memory) == len(streamed)
    settings = Settings(steps=6, rows_per_step=4, micro_batch=2, block_size=32, lr=3e-3,
                        lr_schedule="cosine", warmup_steps=1, weight_decay=0.1, max_grad_norm=1.0,
                        precision="fp32", device="cpu", seed=3)
    config = transformers.GPT2Config(n_layer=1, n_embd=32, n_head=2, n_positions=32, vocab_size=len(tok))
    weights = []
    for blocks in (in_memory, streamed):
        torch.manual_seed(0)
        model = transformers.GPT2LMHeadModel(config)
        order = BlockOrder(len(blocks), seed=3)
        train(model, StepBatches([blocks], order, 4), settings)
        weights.append(model.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
