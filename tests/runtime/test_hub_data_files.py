"""Hub sources: remote data files for a packaged builder, and columns renamed as they load."""
import datasets
import pytest
from pydantic import ValidationError

from specc.compiler.spec_model import HubSource
from specc.runtime import data as runtime_data

URL = "https://raw.githubusercontent.com/org/repo/0123456789abcdef0123456789abcdef01234567/items.csv"


def test_data_files_are_passed_and_columns_renamed(monkeypatch):
    seen = {}

    def fake_load(name, config=None, **kwargs):
        seen.update(name=name, **kwargs)
        return datasets.Dataset.from_dict({"Word1": ["salt"], "*BStress": [1]})

    monkeypatch.setattr(runtime_data.datasets, "load_dataset", fake_load)
    source = HubSource(hf="csv", revision="0123456789abcdef0123456789abcdef01234567",
                       data_files=URL, rename={"*BStress": "BStress"})
    loaded = runtime_data.load_hub(source)
    assert seen["name"] == "csv" and seen["data_files"] == URL
    assert loaded.column_names == ["Word1", "BStress"] and loaded["BStress"] == [1]


def test_without_rename_the_columns_stay(monkeypatch):
    monkeypatch.setattr(runtime_data.datasets, "load_dataset",
                        lambda *a, **k: datasets.Dataset.from_dict({"*x": [1]}))
    assert runtime_data.load_hub(HubSource(hf="org/name", revision="main")).column_names == ["*x"]


@pytest.mark.parametrize("files", ["/etc/passwd", "items.csv", "http://example.org/a.csv",
                                   [URL, "file:///home/me/.ssh/id_rsa"]])
def test_data_files_must_be_https_urls(files):
    with pytest.raises(ValidationError, match="not an https URL"):
        HubSource(hf="csv", revision="main", data_files=files)


def test_renamed_columns_must_be_names():
    with pytest.raises(ValidationError):
        HubSource(hf="csv", revision="main", data_files=URL, rename={"*BStress": "B Stress"})
