"""Split arithmetic (compiler.splits): fixed parts, whole groups, limits, references."""
from hypothesis import given, settings
from hypothesis import strategies as st

from specc.compiler.spec_model import JsonlSource
from specc.compiler.splits import (assign_parts, limit_indices, parse_data_ref, ref_source,
                                   split_seed)


def test_every_record_lands_in_exactly_one_part():
    parts = assign_parts(1000, {"train": 0.9, "heldout": 0.1}, seed=5)
    assert sorted(parts["train"] + parts["heldout"]) == list(range(1000))
    assert len(parts["heldout"]) == 100


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=300), st.integers(0, 2**31),
       st.sampled_from([{"a": 0.5, "b": 0.5}, {"train": 0.9, "heldout": 0.1},
                        {"x": 0.2, "y": 0.3, "z": 0.5}]))
def test_group_by_never_splits_a_group(groups, seed, fractions):
    parts = assign_parts(len(groups), fractions, seed, groups=groups)
    assert sorted(i for rows in parts.values() for i in rows) == list(range(len(groups)))
    side = {}
    for name, rows in parts.items():
        for i in rows:
            assert side.setdefault(groups[i], name) == name, f"group {groups[i]} on two sides"


def test_grouped_parts_match_fractions_within_one_group():
    groups = [i // 3 for i in range(3000)]            # 1,000 groups of 3 records
    parts = assign_parts(len(groups), {"train": 0.9, "heldout": 0.1}, seed=1, groups=groups)
    assert abs(len(parts["heldout"]) - 300) <= 3


def test_split_seed_is_the_specs_unless_per_seed():
    fixed = JsonlSource(jsonl="x", split={"a": 0.5, "b": 0.5})
    pinned = JsonlSource(jsonl="x", split={"a": 0.5, "b": 0.5, "seed": 11})
    fresh = JsonlSource(jsonl="x", split={"a": 0.5, "b": 0.5, "per_seed": True})
    assert {split_seed(fixed.split, 7, task_seed=s) for s in (1, 2, 3)} == {7}
    assert split_seed(pinned.split, 7, task_seed=2) == 11
    assert [split_seed(fresh.split, 7, task_seed=s) for s in (1, 2)] == [1, 2]


def test_seeded_limit_is_reproducible_and_inside_its_part():
    a = limit_indices(500, 60, sample=True, seed=3)
    assert a == limit_indices(500, 60, sample=True, seed=3)
    assert a != limit_indices(500, 60, sample=True, seed=4)
    assert len(set(a)) == 60 and a == sorted(a) and max(a) < 500
    assert limit_indices(500, 60, sample=False, seed=3) == list(range(60))


def test_data_references_parse():
    assert parse_data_ref("prefs.heldout[:60]") == parse_data_ref("prefs.heldout[:60]")
    ref = parse_data_ref("prefs.heldout[sample:60]")
    assert (ref.source, ref.part, ref.limit, ref.sample) == ("prefs", "heldout", 60, True)
    assert parse_data_ref("corpus").part is None and parse_data_ref("corpus[:5]").limit == 5
    assert parse_data_ref("prefs.heldout[60]") is None
    assert ref_source("corpus[:5]") == "corpus" and ref_source("prefs.heldout[:1]") == "prefs"
