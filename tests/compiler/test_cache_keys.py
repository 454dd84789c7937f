"""Cache keys change exactly where the computation changes."""
from pathlib import Path

import yaml

from specc.compiler import compile_spec

TOY = Path(__file__).parents[2] / "tests" / "specs" / "blimp-toy.yaml"
SHARED_DATA = str((TOY.parent / "../../../shared/data").resolve())  # the copies live in tmp


def compile_variant(tmp_path, edit, name="variant.yaml"):
    spec = yaml.safe_load(TOY.read_text())
    edit(spec)
    for source in spec["data"].values():  # the copy lives elsewhere: point at the same files
        for kind in ("text", "jsonl", "csv"):
            if kind in source:
                source[kind] = str((TOY.parent / source[kind]).resolve())
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return {t.id: t.key for t in compile_spec(path, data_roots=(SHARED_DATA,)).tasks}


def changed(a: dict, b: dict) -> set[str]:
    return {i for i in a if i in b and a[i] != b[i]}


def test_unchanged_copy_has_identical_keys(tmp_path):
    base = compile_variant(tmp_path, lambda s: None)
    again = compile_variant(tmp_path, lambda s: None, "again.yaml")
    assert base == again


def test_changing_one_axis_value_changes_exactly_its_tasks(tmp_path):
    base = compile_variant(tmp_path, lambda s: None)

    def reseed(spec):
        spec["conditions"]["seed"] = [1, 2, 4]
    new = compile_variant(tmp_path, reseed, "seed.yaml")
    # seed=3 tasks disappear, seed=4 tasks appear; nothing else moves.
    assert {i for i in base if "seed=3" in i} == set(base) - set(new)
    assert {i for i in new if "seed=4" in i} == set(new) - set(base)
    assert changed(base, new) == set()


def test_changing_a_model_changes_its_downstream_only(tmp_path):
    base = compile_variant(tmp_path, lambda s: None)

    def widen(spec):
        spec["models"]["small"]["n_embd"] = 256
    new = compile_variant(tmp_path, widen, "widen.yaml")
    expected = {i for i in base if "model=small" in i}
    assert changed(base, new) == expected
    assert len(expected) == 3 + 9  # 3 pretrain tasks + 3 seeds x 3 checkpoints of scoring


def test_changing_a_stage_param_changes_it_and_its_downstream(tmp_path):
    base = compile_variant(tmp_path, lambda s: None)

    def vocab(spec):
        spec["stages"]["tokenizer"]["vocab_size"] = 4096
    new = compile_variant(tmp_path, vocab, "vocab.yaml")
    assert changed(base, new) == set(base)  # every task reads the tokenizer

    def prompts(spec):
        spec["stages"]["score"]["prompts"] = ["", "Well, "]
    new = compile_variant(tmp_path, prompts, "prompts.yaml")
    assert changed(base, new) == {i for i in base if i.startswith("score/")}


def test_changing_data_changes_keys(tmp_path):
    base = compile_variant(tmp_path, lambda s: None)
    humans = tmp_path / "pairs.jsonl"
    humans.write_text('{"sentence_good": "A cat.", "sentence_bad": "A cats.", "UID": "x"}\n')

    def other_items(spec):
        spec["data"]["pairs"]["jsonl"] = str(humans)
    new = compile_variant(tmp_path, other_items, "items.yaml")
    assert changed(base, new) == {i for i in base if i.startswith("score/")}
