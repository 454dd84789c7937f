"""Bad local data files are reported by `specc validate` as file:line: message."""
from pathlib import Path

import pytest

from specc.compiler import SpecErrors, compile_spec
from specc.compiler.data_check import file_problems

BAD = {
    "empty.jsonl": (b"", "jsonl", ":1: the file is empty"),
    "blank.csv": (b"\n \n", "csv", ":1: the file holds only blank lines"),
    "broken.jsonl": (b'{"a": 1}\n{"a": 2\n{"a": 3}\n', "jsonl",
                     ":2: invalid JSON at column 8: Expecting ',' delimiter"),
    "list.jsonl": (b'{"a": 1}\n\n[1, 2]\n', "jsonl", ":3: expected one JSON object per line, got list"),
    "latin1.csv": (b"text,label\ncaf\xe9,1\n", "csv",
                   ":2: not UTF-8 text (byte 0xe9 at column 4); save the file as UTF-8"),
    "ragged.csv": (b"text,label\na,1\nb,2,3\n", "csv", ":3: 3 fields where the header has 2"),
    "quote.csv": (b'text,label\n"open,1\n', "csv", ":2: malformed CSV: unexpected end of data"),
    "latin1.txt": (b"fine\n\xff\n", "text", ":2: not UTF-8 text (byte 0xff at column 1); save the file as UTF-8"),
    "fake.parquet": (b"not parquet", "parquet", ": not a readable Parquet file"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_file_problems_name_file_and_line(tmp_path, name):
    content, kind, expected = BAD[name]
    path = tmp_path / name
    path.write_bytes(content)
    problem, = file_problems(path, kind)
    assert problem.startswith(f"{path}{expected}")


def test_good_files_have_no_problems(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"a": "x"}\n\n{"a": "y, \\"z\\""}\n')
    (tmp_path / "a.csv").write_text('text,label\n"a, quoted\nnewline",1\n')
    assert file_problems(tmp_path / "a.jsonl", "jsonl") == []
    assert file_problems(tmp_path / "a.csv", "csv") == []


@pytest.mark.parametrize("name", ["broken.jsonl", "latin1.csv", "ragged.csv", "empty.jsonl"])
def test_validate_reports_the_file_and_line(tmp_path, name):
    content, kind, expected = BAD[name]
    (tmp_path / ".git").mkdir()
    (tmp_path / name).write_bytes(content)
    spec = tmp_path / "spec.yaml"
    spec.write_text("specc: 1\nname: bad-data\ntitle: t\nquestion: q\n"
                    f"data:\n  rows: {{{kind}: {name}}}\n"
                    "stages:\n  tok: {op: train.tokenizer, data: rows, text_field: a, vocab_size: 300}\n")
    with pytest.raises(SpecErrors) as info:
        compile_spec(spec)
    first = info.value.diagnostics[0]
    assert (first.line, first.message) == (6, f"data.rows: {tmp_path / name}{expected}")
