"""column_uses: every (source, column) a measure reads, attributed to the right table.

The compiler checks each use against the columns the named stage or data source
produces, so a missing or misattributed use is a missed (or a false) error.
"""
import pytest

from specc.compiler.measure import column_uses, parse_measure
from specc.compiler.measure_ast import sources


def uses(text):
    return [(u.source, u.column, u.role) for u in column_uses(parse_measure(text))]


@pytest.mark.parametrize("text, expected", [
    ("mean(score.correct) where checkpoint == 300",
     [("score", "correct", "value"), ("score", "checkpoint", "where")]),
    ('mean(score.correct where checkpoint == 300 and prompt != "")',
     [("score", "correct", "value"), ("score", "checkpoint", "where"),
      ("score", "prompt", "where")]),
    ("spearman(score.correct by UID, humans.total_mean by Condition)",
     [("score", "correct", "value"), ("score", "UID", "by"),
      ("humans", "total_mean", "value"), ("humans", "Condition", "by")]),
    ("mean(mc.correct by model, seed)",
     [("mc", "correct", "value"), ("mc", "model", "by"), ("mc", "seed", "by")]),
    ("(mean(a.x) - mean(b.x)) / std(a.x)",
     [("a", "x", "value"), ("b", "x", "value"), ("a", "x", "value")]),
    ('cohens_d(score.diff where model == "tiny", score.diff where model == "small")',
     [("score", "diff", "value"), ("score", "model", "where"),
      ("score", "diff", "value"), ("score", "model", "where")]),
    ("variance_ratio(score.correct, between=condition, within=seed)",
     [("score", "correct", "value"), ("score", "condition", "kwarg"),
      ("score", "seed", "kwarg")]),
    ("accuracy_vs_chance(mc.correct, chance=0.333)", [("mc", "correct", "value")]),
    ("0.5", []),
    # A where after an expression filters every table read in it, each source once...
    ("spearman(a.x by k, b.y by k) where checkpoint == 300",
     [("a", "x", "value"), ("a", "k", "by"), ("b", "y", "value"), ("b", "k", "by"),
      ("a", "checkpoint", "where"), ("b", "checkpoint", "where")]),
    ("mean(a.x) - mean(a.z) where s == 1",
     [("a", "x", "value"), ("a", "z", "value"), ("a", "s", "where")]),
    # ... unless the condition names its source.
    ("spearman(a.x by k, b.y by k) where a.checkpoint == 300",
     [("a", "x", "value"), ("a", "k", "by"), ("b", "y", "value"), ("b", "k", "by"),
      ("a", "checkpoint", "where")]),
    ("mean(a.x where a.s == 1)", [("a", "x", "value"), ("a", "s", "where")]),
    # A column kwarg belongs to every source of its call.
    ("icc1(a.x, between=c, within=s)",
     [("a", "x", "value"), ("a", "c", "kwarg"), ("a", "s", "kwarg")]),
])
def test_uses(text, expected):
    assert uses(text) == expected


def test_use_offsets_point_at_the_column_and_its_source():
    text = "spearman(score.correct by UID, humans.total_mean by Condition) where score.k == 1"
    got = {(u.column, u.role): u for u in column_uses(parse_measure(text))}
    for (column, role), use in got.items():
        assert text[use.offset:use.offset + len(column)] == column
        assert text[use.source_offset:use.source_offset + len(use.source)] == use.source
    assert got["UID", "by"].source_offset == text.index("score")
    assert got["k", "where"].source_offset == text.index("score.k")
    assert got["Condition", "by"].source_offset == text.index("humans")


def test_scope_where_uses_first_mention_of_each_source():
    text = "mean(a.x) - mean(b.y) + mean(a.z) where s == 1"
    where_uses = [u for u in column_uses(parse_measure(text)) if u.role == "where"]
    assert [(u.source, u.source_offset) for u in where_uses] == [("a", 5), ("b", 17)]


def test_sources_lists_each_column_reference():
    got = sources(parse_measure("spearman(a.x by k, bb.y by k)"))
    assert [(s.text, s.offset) for s in got] == [("a", 9), ("bb", 19)]
