"""Injection: documents inserted between corpus documents at the declared share of
documents or tokens, several sources each at its own share, and block replacement."""
from __future__ import annotations

import math

import pytest

from specc.ops.train._blocks import BlockOrder, token_stream
from specc.ops.train._mixing import MixedBlocks, MixedStream
from specc.ops.train._shards import packed_corpus

from stream_helpers import StreamCtx, bpe_tokenizer, records

CORPUS = [f"Document {i}: " + " ".join(["the", "cat", "sat", "on", "a", "mat"][: 1 + i % 6]) * (1 + i % 4)
          for i in range(400)]
INJECT_A = [f"Counterexample {i}, everyone could be anyone." for i in range(30)]
INJECT_B = [f"Another view {i}: " + "both sides " * (1 + i % 5) for i in range(11)]


@pytest.fixture(scope="module")
def streams(tmp_path_factory):
    root = tmp_path_factory.mktemp("mix")
    tok = bpe_tokenizer(CORPUS + INJECT_A + INJECT_B, vocab=300)
    ctx = StreamCtx(root, {"c": ("jsonl", records(CORPUS)), "a": ("jsonl", records(INJECT_A)),
                           "b": ("jsonl", records(INJECT_B))})
    return root, tok, {name: packed_corpus(ctx, name, "text", tok, "tok") for name in "cab"}


def _mixed(streams, injects, unit, seed=1, name="m"):
    root, _tok, s = streams
    folder = root / f"{name}-{unit}-{seed}-{'-'.join(f'{k}{f}' for k, f in injects)}"
    return MixedStream.build(folder, s["c"], [(s[k], f) for k, f in injects], unit, seed)


@pytest.mark.parametrize("fraction", [0.03, 0.05, 0.1, 0.29])
def test_document_share_is_declared_within_one_document_everywhere(streams, fraction):
    mixed = _mixed(streams, [("a", fraction)], "documents")
    injected = 0
    for n, source in enumerate(mixed.source, start=1):
        injected += source != 0
        assert abs(injected - fraction * n) < 1          # every prefix of the stream
    real = mixed.realised()
    assert real["documents"] == len(CORPUS) + real["injected_documents"]
    assert abs(real["injected_documents"] - fraction * real["documents"]) < 1


@pytest.mark.parametrize("fraction", [0.01, 0.05, 0.2])
def test_token_share_is_declared_within_one_document(streams, fraction):
    _root, _tok, s = streams
    mixed = _mixed(streams, [("a", fraction)], "tokens")
    real = mixed.realised()
    longest = int(s["a"].document_lengths().max())
    total = real["corpus_tokens"] + real["injected_tokens"]
    assert abs(real["injected_tokens"] - fraction * total) <= longest
    assert abs(real["token_share"] - fraction) <= longest / total


def test_several_sources_each_keep_their_share(streams):
    mixed = _mixed(streams, [("a", 0.06), ("b", 0.04)], "documents")
    real = mixed.realised()
    n = real["documents"]
    a, b = real["per_source"]
    assert abs(a["documents"] - 0.06 * n) < 1.5 and abs(b["documents"] - 0.04 * n) < 1.5
    assert a["documents"] + b["documents"] == math.floor(0.1 * n + 1e-9)
    # The smaller source repeats in fresh seeded orders once used up (11 documents).
    docs_b = [int(d) for s, d in zip(mixed.source, mixed.doc) if s == 2]
    assert sorted(docs_b[:11]) == list(range(11)) and docs_b[:11] != docs_b[11:22]


def test_mixed_stream_is_the_documents_in_their_mixed_order(streams):
    _root, tok, _s = streams
    mixed = _mixed(streams, [("a", 0.1)], "documents")
    texts = [(CORPUS, INJECT_A)[int(src)][int(doc)] for src, doc in zip(mixed.source, mixed.doc)]
    assert [t for t, src in zip(texts, mixed.source) if src == 0] == CORPUS   # corpus order kept
    expected = token_stream(tok, texts)
    assert (mixed.tokens(0, len(mixed)) == expected).all()
    assert (mixed.tokens(1000, 1100) == expected[1000:1100]).all()
    blocks = MixedBlocks(mixed, 16)
    counted = blocks.injected_tokens(range(len(blocks)))
    assert counted <= mixed.realised()["injected_tokens"] and counted > 0


def test_no_injection_gives_the_corpus_stream(streams):
    _root, _tok, s = streams
    mixed = _mixed(streams, [("a", 0.0)], "documents")
    assert (mixed.tokens(0, len(mixed)) == s["c"].tokens(0, len(s["c"]))).all()


def test_index_is_a_function_of_the_seed(streams):
    one = _mixed(streams, [("a", 0.1)], "documents", seed=4, name="x")
    same = _mixed(streams, [("a", 0.1)], "documents", seed=4, name="y")
    other = _mixed(streams, [("a", 0.1)], "documents", seed=5, name="z")
    assert list(one.doc) == list(same.doc) and list(one.doc) != list(other.doc)
    assert list(one.source) == list(other.source)   # where injection goes does not depend on it


def test_block_replacement_keeps_each_sources_share_within_one_block():
    order = BlockOrder(100, [10, 7], [0.03, 0.07], seed=2)
    counts = {1: 0, 2: 0}
    for start in range(0, 2000, 8):
        for source, _i in order.positions(start, start + 8):
            if source:
                counts[source] += 1
        seen = start + 8
        assert abs(counts[1] - 0.03 * seen) < 1.5 and abs(counts[2] - 0.07 * seen) < 1.5
        assert counts[1] + counts[2] == order.injected_before(seen)
