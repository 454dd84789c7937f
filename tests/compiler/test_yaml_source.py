"""The positioned YAML loader: positions, safety limits and YAML 1.2 booleans."""
import pytest

from specc.compiler import SpecErrors
from specc.compiler.yaml_source import load_yaml_text


def errors(text):
    with pytest.raises(SpecErrors) as info:
        load_yaml_text(text, "s.yaml")
    return [(d.line, d.col, d.message) for d in info.value.diagnostics]


def test_positions_of_keys_and_values():
    data, smap = load_yaml_text("a: 1\nstages:\n  pretrain:\n    steps: 'x'\n", "s.yaml")
    assert data == {"a": 1, "stages": {"pretrain": {"steps": "x"}}}
    assert smap.locate(("stages", "pretrain", "steps"), at="key") == (4, 5)
    assert smap.locate(("stages", "pretrain", "steps")) == (4, 12)
    assert smap.locate(("stages", "pretrain", "steps"), offset=0) == (4, 13)  # inside the quotes
    # a missing key points at the mapping that should hold it
    assert smap.locate(("stages", "pretrain", "op")) == (3, 3)


def test_offsets_inside_quoted_scalars():
    _, smap = load_yaml_text('m: "mean(x.y)"\n', "s.yaml")
    assert smap.locate(("m",), offset=5) == (1, 4 + 1 + 5)


def test_yaml_12_booleans():
    data, _ = load_yaml_text("a: no\nb: yes\nc: true\nd: off\non: 1\n", "s.yaml")
    assert data == {"a": "no", "b": "yes", "c": True, "d": "off", "on": 1}


def test_merge_keys_and_aliases():
    data, _ = load_yaml_text("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "s.yaml")
    assert data["c"] == {"x": 1, "y": 3}


def test_python_tags_are_refused():
    assert errors("a: !!python/object/apply:os.system ['true']\n") == [
        (1, 4, "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in a spec")]


def test_duplicate_keys_are_refused():
    assert errors("a: 1\na: 2\n") == [(2, 1, "duplicate key 'a'")]


def test_alias_bomb_is_bounded():
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    (line, col, message), = errors("\n".join(lines) + "\n")
    assert message == "spec expands to more than 200000 values"


def test_recursive_alias_is_bounded():
    (_, _, message), = errors("a: &a [*a]\n")
    assert message == "spec nests deeper than 64 levels"


def test_syntax_error_has_position():
    assert errors("a: [1, 2\nb: 3\n")[0][:2] == (2, 2)


def test_empty_file():
    assert errors("") == [(1, 1, "spec is empty")]


def test_yaml_12_numbers():
    """YAML 1.1 octal (`010` -> 8) and base 60 (`3:1` -> 181) changed a spec's meaning silently."""
    data, _ = load_yaml_text("a: 010\nb: 3:1\nc: 0o17\nd: 0x1F\ne: 1_000\nf: 1:30.5\ng: 1e3\nh: -7\n"
                             "i: .5\nj: 0b101\n", "s.yaml")
    assert data == {"a": 10, "b": "3:1", "c": 15, "d": 31, "e": 1000, "f": "1:30.5", "g": 1000.0,
                    "h": -7, "i": 0.5, "j": "0b101"}
    assert type(data["a"]) is int and type(data["g"]) is float


def test_deep_nesting_is_an_error_not_a_recursion_error():
    (line, col, message), = errors("a: " + "[" * 500 + "]" * 500 + "\n")
    assert (line, message) == (1, "spec nests deeper than 64 levels")
    (line, _, message), = errors("".join("  " * i + "k:\n" for i in range(300)) + "  " * 300 + "k: 1\n")
    assert (line, message) == (64, "spec nests deeper than 64 levels")


def test_integers_beyond_64_bits_are_errors():
    (_, _, message), = errors("a: " + "9" * 5000 + "\n")
    assert message == "integer 999999999999…(5000 characters) does not fit in 64 bits"
    (_, _, message), = errors("a: 9223372036854775808\n")
    assert message == "integer 9223372036854775808 does not fit in 64 bits"
    assert load_yaml_text("a: -9223372036854775808\n", "s.yaml")[0] == {"a": -2**63}
    (_, _, message), = errors("a: !!int 0b11\n")
    assert message == "'0b11' is not a YAML 1.2 integer"
