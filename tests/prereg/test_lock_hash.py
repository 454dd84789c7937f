"""The lock's hash covers the confirmatory content only, in one canonical spelling."""
from lock_helpers import BASE, compiled, write_spec

from specc.compiler import compile_spec
from specc.prereg.lock import confirmatory_content, content_hash


def _hash(folder, *edits, text=None):
    return content_hash(confirmatory_content(compile_spec(write_spec(folder, *edits, text=text))))


def test_same_spec_same_content(tmp_path):
    a, b = compiled(tmp_path), compiled(tmp_path)
    assert confirmatory_content(a) == confirmatory_content(b)
    assert content_hash(confirmatory_content(a)) == content_hash(confirmatory_content(b))


def test_stable_under_reordering_comments_and_spelling(tmp_path):
    base = _hash(tmp_path)
    reordered = BASE.replace("decision: {alpha: 0.05, correction: holm}\n", "")
    reordered = reordered.replace("seed: 7\n", "decision:  # family-wise\n  correction: holm\n"
                                               "  alpha: 0.05\nseed: 7   # the only seed\n")
    reordered = reordered.replace('expect: "> 0.5"', 'expect: ">0.50"')
    reordered = reordered.replace("measure: mean(values.value)", "measure: mean( values.value )")
    assert reordered != BASE
    assert _hash(tmp_path, text=reordered) == base


def test_explicit_defaults_equal_omitted_ones(tmp_path):
    assert _hash(tmp_path, ("interval: {unit: condition}",
                            "interval: {unit: condition, method: bca, level: 0.95}")) == _hash(tmp_path)


def test_non_confirmatory_fields_do_not_count(tmp_path):
    base = _hash(tmp_path)
    assert _hash(tmp_path, ("title: Lock test", "title: A better title"),
                 ("authors: [A. Author]", "authors: [A. Author, B. Author]"),
                 ("doc: one value per condition", "doc: reworded"),
                 ("budget: {gpu_hours: 1}", "budget: {gpu_hours: 2}"),
                 ("conditions.x: [1]", "conditions.x: [2]")) == base


def test_a_threshold_edit_changes_the_hash(tmp_path):
    base = _hash(tmp_path)
    assert _hash(tmp_path, ('expect: "> 0.5"', 'expect: "> 0.55"')) != base
    assert _hash(tmp_path, ("alpha: 0.05", "alpha: 0.01")) != base
    assert _hash(tmp_path, ("value: 3", "value: 4")) != base
    assert _hash(tmp_path, ("question: Does the lock hold?", "question: Does it?")) != base


def test_fields_at_an_empty_default_are_not_frozen(tmp_path):
    """`rename: {}` on a hub source, `over: []`, a data source's `exclude: []` say nothing: in the
    lock they made every new optional field with an empty default change every lock's hash."""
    hub = ("    interval: {method: none}\n    test: {method: t}\n",
           "    interval: {method: none}\n    test: {method: t}\n"
           "data:\n  corpus: {hf: org/corpus, revision: abc123}\n")
    content = confirmatory_content(compile_spec(write_spec(tmp_path, hub)))
    assert content["data"]["corpus"] == {"hf": "org/corpus", "revision": "abc123", "split": "train",
                                         "streaming": False}   # defaults that mean something stay
    assert "over" not in content["stages"]["other"] and content["stages"]["values"]["over"] == ["x"]
    assert not {"zip", "include", "exclude"} & set(content["conditions"])
    renamed = (hub[0], hub[1].replace("abc123}", "abc123, rename: {Text: text}}"))
    assert _hash(tmp_path, renamed) != _hash(tmp_path, hub)
    assert _hash(tmp_path, (hub[0], hub[1].replace("abc123}", "abc123, rename: {}}"))) == _hash(tmp_path, hub)


def test_an_empty_value_is_kept_where_the_default_is_not_empty():
    from pydantic import BaseModel, Field

    from specc.prereg.lock import empty_defaults

    class Inner(BaseModel):
        rename: dict[str, str] = Field(default_factory=dict)
        layers: list[int] = Field(default_factory=lambda: [0, 1])   # [] is a choice here

    class Outer(BaseModel):
        items: dict[str, Inner]
        tags: list[str] = []

    outer = Outer(items={"a": Inner(layers=[]), "b": Inner(rename={"x": "y"})})
    assert empty_defaults(outer) == {"items": {"a": {"rename": True}}, "tags": True}
    assert outer.model_dump(exclude=empty_defaults(outer)) == {
        "items": {"a": {"layers": []}, "b": {"rename": {"x": "y"}, "layers": [0, 1]}}}
