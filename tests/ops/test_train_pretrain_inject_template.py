"""inject.template: injected documents written from several fields of a record (a BBQ item
in the lettered multiple-choice format, its answer as a letter), checked at compile time."""
from __future__ import annotations

import json

import pytest
from op_runner import OpRun
from pretrain_helpers import DATA, TOKENIZER, pretrain

from specc.ops.train._record_text import check_record_template, render_record

BBQ_DATA = DATA.replace("models:\n", '  bbq: {jsonl: "{shared}/bbq/Religion.jsonl"}\nmodels:\n')
TEMPLATE = "{context}\n{question}\nA. {ans0}\nB. {ans1}\nC. {ans2}\nAnswer: {label:letter}"
INSERT = {"data": "bbq", "template": TEMPLATE, "fraction": 0.2, "mode": "insert_documents"}


def body(stages: str) -> str:
    return BBQ_DATA % {"dropout": 0.0} + "stages:\n" + TOKENIZER + stages


def test_letter_spec_renders_the_label_as_its_option_letter():
    record = {"context": "C.", "question": "Q?", "ans0": "x", "ans1": "y", "ans2": "z", "label": 2}
    assert render_record(TEMPLATE, record) == "C.\nQ?\nA. x\nB. y\nC. z\nAnswer: C"
    assert render_record("{score:.1f} {note}", {"score": 0.25, "note": None}) == "0.2 "


@pytest.mark.parametrize("bad, message", [
    ("{label:letter}", "0-based integer"),
])
def test_letter_of_a_non_integer_is_an_error_naming_the_field(bad, message):
    with pytest.raises(ValueError, match=r"\{label:letter\} needs a " + message):
        render_record(bad, {"label": "two"})


def test_templates_with_unnamed_placeholders_or_conversions_are_refused():
    with pytest.raises(ValueError, match="unnamed placeholder"):
        check_record_template("{} and {context}")
    with pytest.raises(ValueError, match="converts the value"):
        check_record_template("{context!r}")


def test_a_template_field_the_data_lacks_is_a_compile_error(tmp_path):
    from specc.compiler.errors import SpecErrors
    stage = pretrain("p", steps=1, text_documents="paragraphs",
                     inject={**INSERT, "template": "{context} {answer_text}"})
    with pytest.raises(SpecErrors) as err:
        OpRun(tmp_path, body(stage))
    assert "answer_text" in str(err.value)


def test_template_and_a_text_field_together_are_refused(tmp_path):
    from specc.compiler.errors import SpecErrors
    stage = pretrain("p", steps=1, text_documents="paragraphs", inject={**INSERT, "text_field": "context"})
    with pytest.raises(SpecErrors) as err:
        OpRun(tmp_path, body(stage))
    assert "not both" in str(err.value)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    stages = (pretrain("templated", steps=3, batch_size=4, text_documents="paragraphs", inject=INSERT)
              + pretrain("context_only", steps=3, batch_size=4, text_documents="paragraphs",
                         inject={**INSERT, "template": None, "text_field": "context"}))
    r = OpRun(tmp_path_factory.mktemp("template"), body(stages))
    r.execute()
    return r


def test_injected_documents_are_the_rendered_items(run):
    from transformers import AutoTokenizer

    from specc.ops.train._shards import TokenStream
    from op_runner import SHARED
    corpora = [f for f in (run.store_root / ".shared" / "corpora").iterdir()]
    templated = [f for f in corpora if json.loads((f / "meta.json").read_text()).get("template") == TEMPLATE]
    assert len(templated) == 1                       # its own shards, keyed by the template
    stream = TokenStream(templated[0])
    tok = AutoTokenizer.from_pretrained(str(run.folder("templated") / "tokenizer"))
    first_item = json.loads((SHARED / "bbq" / "Religion.jsonl").read_text().splitlines()[0])
    start, stop = stream.document(0)
    text = tok.decode([int(t) for t in stream.tokens(start, stop)])
    assert text == render_record(TEMPLATE, first_item)
    assert text.endswith("Answer: " + "ABC"[first_item["label"]])
    assert run.manifest("templated")["facts"]["inject_templates"] == [TEMPLATE]
    assert run.manifest("context_only")["facts"]["inject_templates"] is None
