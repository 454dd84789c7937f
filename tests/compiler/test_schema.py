"""The JSON Schema accepts every example spec and rejects what the compiler rejects."""
from pathlib import Path

import jsonschema
import pytest

from specc.compiler.schema import spec_schema
from specc.compiler.yaml_source import load_yaml

SPECS = sorted((Path(__file__).parents[2] / "specs").glob("[!.]*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = spec_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_examples_validate_against_schema(validator, spec):
    data, _ = load_yaml(spec)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, errors


def _minimal():
    return {"specc": 1, "name": "x", "title": "t", "question": "q",
            "stages": {"tok": {"op": "train.tokenizer", "data": "corpus", "vocab_size": 512}}}


def test_minimal_spec_is_valid(validator):
    assert validator.is_valid(_minimal())


@pytest.mark.parametrize("edit", [
    lambda s: s["stages"]["tok"].update(vocab_sise=512),          # op param typo
    lambda s: s["stages"]["tok"].update(op="train.tokeniser"),    # unknown op
    lambda s: s.update(specc=2),
    lambda s: s.update(stagse={}),
    lambda s: s["stages"]["tok"].update(vocab_size="big"),
])
def test_schema_rejects_mistakes(validator, edit):
    spec = _minimal()
    edit(spec)
    assert not validator.is_valid(spec)


def test_axis_placeholders_are_allowed(validator):
    spec = _minimal()
    spec["stages"]["tok"]["vocab_size"] = "${vocab}"
    assert validator.is_valid(spec)
