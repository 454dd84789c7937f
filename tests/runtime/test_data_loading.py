"""Local data sources load through `datasets`, offline, with deterministic splits."""
from pathlib import Path

from specc.compiler.spec_model import JsonlSource, TextSource
from specc.runtime.data import load_source

SHARED = Path(__file__).parents[3] / "shared" / "data"


def test_jsonl_records_and_columns(tmp_path):
    files = (SHARED / "blimp" / "adjunct_island.jsonl",)
    ds = load_source(JsonlSource(jsonl="x"), files, cache_dir=str(tmp_path))
    assert len(ds) == 1000
    assert {"sentence_good", "sentence_bad", "UID"} <= set(ds.column_names)


def test_text_split_is_contiguous_and_complete(tmp_path):
    file = tmp_path / "t.txt"
    file.write_text("".join(f"line {i}\n" for i in range(100)))
    source = TextSource(text="t.txt", split={"train": 0.9, "heldout": 0.1})
    train = load_source(source, (file,), "corpus.train", cache_dir=str(tmp_path / "c"))
    held = load_source(source, (file,), "corpus.heldout", cache_dir=str(tmp_path / "c"))
    assert train["text"] == [f"line {i}" for i in range(90)]
    assert held["text"] == [f"line {i}" for i in range(90, 100)]


def test_record_split_is_seeded_and_disjoint(tmp_path):
    files = (SHARED / "blimp" / "passive_1.jsonl",)
    source = JsonlSource(jsonl="x", split={"a": 0.8, "b": 0.2})
    a1 = load_source(source, files, "pairs.a", seed=3, cache_dir=str(tmp_path))["pairID"]
    a2 = load_source(source, files, "pairs.a", seed=3, cache_dir=str(tmp_path))["pairID"]
    b = load_source(source, files, "pairs.b", seed=3, cache_dir=str(tmp_path))["pairID"]
    assert a1 == a2 and len(a1) == 800 and len(b) == 200
    assert not set(a1) & set(b)
    assert load_source(source, files, "pairs.a", seed=4, cache_dir=str(tmp_path))["pairID"] != a1


def test_files_with_different_columns_give_their_union_with_nulls(tmp_path):
    # BLiMP paradigms differ: only some records have the one_prefix_* fields.
    (tmp_path / "a.jsonl").write_text('{"good": "x", "prefix": "p"}\n{"good": "y", "prefix": "q"}\n')
    (tmp_path / "b.jsonl").write_text('{"good": "z", "uid": "b"}\n')
    files = (tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    frame = load_source(JsonlSource(jsonl="*.jsonl"), files).to_pandas()
    assert list(frame.columns) == ["good", "prefix", "uid"]
    assert list(frame["good"]) == ["x", "y", "z"]
    assert frame["prefix"].tolist()[:2] == ["p", "q"] and frame["prefix"].isna().tolist()[2]
    assert frame["uid"].isna().tolist() == [True, True, False]


def test_column_types_widen_across_files(tmp_path):
    # All-null in one file, strings in the next; ints in one file, floats in another.
    (tmp_path / "a.jsonl").write_text('{"a": "z", "n": 1}\n')
    (tmp_path / "b.jsonl").write_text('{"a": "x", "b": null, "n": 2}\n')
    (tmp_path / "c.jsonl").write_text('{"a": "y", "b": "hello", "n": 2.5}\n')
    files = tuple(tmp_path / f for f in ("a.jsonl", "b.jsonl", "c.jsonl"))
    frame = load_source(JsonlSource(jsonl="*.jsonl"), files).to_pandas()
    assert frame["b"].tolist()[2] == "hello" and frame["b"].isna().tolist()[:2] == [True, True]
    assert frame["n"].tolist() == [1.0, 2.0, 2.5]
