"""A task that cannot load a data file says which file and line, never only the datasets
library's "An error occurred while generating the dataset"."""
from pathlib import Path

import pytest

from specc.compiler.data_check import DataFileError
from specc.runtime.data import load_local


@pytest.mark.parametrize("name, content, kind, expected", [
    ("broken.jsonl", b'{"a": 1}\n{"a": 2\n', "jsonl", ":2: invalid JSON at column 8"),
    ("empty.jsonl", b"", "jsonl", ":1: the file is empty"),
    ("ragged.csv", b"a,b\n1,2\n3,4,5\n", "csv", ":3: 3 fields where the header has 2"),
    ("latin1.csv", b"a,b\n1,\xff\n", "csv", ":2: not UTF-8 text (byte 0xff at column 3)"),
])
def test_load_errors_name_the_file_and_line(tmp_path, name, content, kind, expected):
    good = tmp_path / f"good.{'jsonl' if kind == 'jsonl' else 'csv'}"
    good.write_text('{"a": 0}\n' if kind == "jsonl" else "a,b\n0,0\n")
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(DataFileError) as info:
        load_local(kind, (good, bad), cache_dir=str(tmp_path / "cache"))
    assert str(info.value).startswith(f"{bad}{expected}")
    assert "An error occurred while generating the dataset" not in str(info.value)
