"""analyse.corpus_stats: counts equal a hand count; divergence and the classifier on
sources that do and do not differ."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from specc.ops import OPS

OP = OPS.get("analyse.corpus_stats")

CORPUS = ["Salt and pepper, please.", "Pepper and salt? No: salt and PEPPER.",
          "bread and butter", "the salt and pepper shaker", "butter and bread and salt"]


class Ctx:
    def __init__(self, **sources):
        self.sources, self.facts, self.logs = sources, {}, []

    def data(self, name):
        import datasets
        value = self.sources[name]
        return datasets.Dataset.from_pandas(value if isinstance(value, pd.DataFrame)
                                            else pd.DataFrame({"text": value}))

    def data_kind(self, name):
        return "jsonl"

    def record(self, **facts):
        self.facts.update(facts)

    def log(self, message):
        self.logs.append(message)


def test_pair_counts_equal_a_hand_count():
    items = pd.DataFrame({"a": ["salt", "bread", "cheese"], "b": ["pepper", "butter", "wine"]})
    p = OP.params(corpus="corpus", items="items", first="a", second="b", bins=2)
    out = OP.run(p, Ctx(corpus=CORPUS, items=items))
    # salt and pepper: 3 (case-folded); pepper and salt: 1; bread and butter 1; butter and bread 1.
    assert list(out["count_ab"]) == [3, 1, 0] and list(out["count_ba"]) == [1, 1, 0]
    assert list(out["total"]) == [4, 2, 0]
    assert out["log_ratio"][0] == pytest.approx(np.log(4 / 2))
    assert list(out["freq_bin"]) == [1, 1, 0] and "a" in out          # items' columns carried
    words = sum(len(t.replace(",", " ").replace(".", " ").replace("?", " ").replace(":", " ").split())
                for t in CORPUS)
    assert out["per_million"][0] == pytest.approx(4 / words * 1e6)


def test_phrase_counts_case_sensitive():
    items = pd.DataFrame({"w": ["salt", "PEPPER", "and"]})
    out = OP.run(OP.params(corpus="corpus", items="items", phrase="w", lowercase=False),
                 Ctx(corpus=CORPUS, items=items))
    assert list(out["count"]) == [4, 1, 7]   # "Salt" and "Pepper" capitalised do not count


def test_divergence_and_classifier():
    same = ["the cat sat on the mat"] * 20
    other = ["a dog ran in the park"] * 20
    p = OP.params(statistic="divergence", corpus="p", other="q")
    out = OP.run(p, Ctx(p=same, q=same))
    assert np.allclose(out[["kl_pq", "kl_qp", "js"]].to_numpy(), 0)
    out = OP.run(p, Ctx(p=same, q=other)).set_index("n")
    assert (out["kl_pq"] > 0).all() and out.loc[1, "tokens_p"] == 120 and out.loc[2, "types_p"] == 5
    c = OP.params(statistic="classifier", corpus="p", other="q", seed=0)
    assert (OP.run(c, Ctx(p=same, q=other))["accuracy"] == 1.0).all()


def test_classifier_rows_are_records_each_held_out_once():
    same = ["the cat sat on the mat"] * 20
    other = ["a dog ran in the park"] * 20
    out = OP.run(OP.params(statistic="classifier", corpus="p", other="q", seed=0), Ctx(p=same, q=other))
    assert list(out["item"]) == list(range(40)) and list(out["source"]) == [0] * 20 + [1] * 20
    assert out["correct"].all() and out["fold"].nunique() == 5 and (out["majority"] == 0.5).all()


def test_classifier_over_several_sources_is_k_way():
    """Three sources: sources 0 and 1 share their words, source 2 differs; the 3-way classifier
    tells source 2 apart and confuses 0 with 1 (accuracy near 1/2 on them, not 1)."""
    shared = [f"the cat sat on the mat {w}" for w in ("today", "again")] * 15
    out = OP.run(OP.params(statistic="classifier", corpus="a", other=["b", "c"], seed=0),
                 Ctx(a=shared, b=list(reversed(shared)), c=["a dog ran in the park"] * 30))
    assert sorted(out["source"].unique()) == [0, 1, 2] and len(out) == 90
    by_source = out.groupby("source")["correct"].mean()
    assert by_source[2] == 1.0 and by_source[[0, 1]].mean() < 0.8
    assert set(out["predicted"]) <= {0, 1, 2}
    assert out["majority"].iloc[0] == pytest.approx(1 / 3, abs=0.02)
    assert out.groupby("fold")["accuracy"].first().round(6).tolist() == \
        out.groupby("fold")["correct"].mean().round(6).tolist()


class StreamedCtx(Ctx):
    """The corpus as a streamed data set (what a `streaming: true` hub source gives)."""

    def data(self, name):
        ds = super().data(name)
        return ds.to_iterable_dataset() if name == "corpus" else ds


def test_frequency_reads_a_streamed_corpus_batch_by_batch(monkeypatch):
    from specc.ops.analyse import corpus_stats
    items = pd.DataFrame({"a": ["salt", "bread", "cheese"], "b": ["pepper", "butter", "wine"]})
    p = OP.params(corpus="corpus", items="items", first="a", second="b", bins=2)
    whole = OP.run(p, Ctx(corpus=CORPUS, items=items))
    real = corpus_stats.streamed_records
    monkeypatch.setattr(corpus_stats, "streamed_records", lambda *a: real(*a, batch=2))
    streamed = OP.run(p, StreamedCtx(corpus=CORPUS, items=items))
    pd.testing.assert_frame_equal(streamed, whole)


def test_frequency_names_a_missing_text_field():
    items = pd.DataFrame({"a": ["salt"], "b": ["pepper"]})
    p = OP.params(corpus="corpus", items="items", first="a", second="b", text_field="body")
    with pytest.raises(KeyError, match="no field 'body'"):
        OP.run(p, Ctx(corpus=CORPUS, items=items))
