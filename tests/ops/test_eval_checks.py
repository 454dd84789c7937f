"""Every rule of eval.check on known strings (`ops/eval/_checks.py`)."""
from __future__ import annotations

import re

import pytest

from specc.ops.eval import _checks as c


@pytest.mark.parametrize("text,n", [
    ("", 0), ("Hello", 1), ("Don't stop me now.", 4), ("two  spaces\tand\nlines", 4),
    ("3.14 is pi", 4), ("well-known e-mail", 4), ("— ! ?", 0), ("naïve café", 2)])
def test_words(text, n):
    assert c.words(text) == n


@pytest.mark.parametrize("text,n", [
    ("", 0), ("One.", 1), ("One. Two! Three?", 3), ("Yes. No", 2), ("Wait... what?!", 2),
    ("Pi is 3.14 today.", 1), ("No end mark", 1), ("...", 0)])
def test_sentences(text, n):
    assert c.sentences(text) == n


def test_keywords_match_whole_words_and_phrases():
    assert c.has_keyword("The Cat sat.", "cat")
    assert not c.has_keyword("The Cat sat.", "cat", case_sensitive=True)
    assert not c.has_keyword("concatenate", "cat")
    assert c.has_keyword("I am not sure, really", "not sure")
    assert c.has_keyword("a+b is c", "a+b")          # regex characters are literal


@pytest.mark.parametrize("text,ok", [
    ('{"a": 1}', True), ("  [1, 2]\n", True), ('```json\n{"a": [1]}\n```', True),
    ("```\n[]\n```", True), ('{"a": 1', False), ("Here: {\"a\": 1}", False), ("", False)])
def test_json_format(text, ok):
    assert c.is_json(text) is ok


@pytest.mark.parametrize("text,ok", [
    ("- a\n- b", True), ("* a\n\n* b\n", True), ("1. a\n2) b\n• c", True),
    ("Items:\n- a", False), ("-a", False), ("", False), ("- a\nb", False)])
def test_list_format(text, ok):
    assert c.is_list(text) is ok


def test_extract_first_or_last_occurrence_and_group():
    letter = re.compile(r"\b([ABC])\b")
    assert c.extract("I think B, no, C.", letter) == "B"
    assert c.extract("I think B, no, C.", letter, "last") == "C"
    assert c.extract("none here", letter) is None
    assert c.extract("answer 42 and 7", re.compile(r"\d+")) == "42"   # no group: whole match
    assert c.extract("a: 4", re.compile(r"a", re.IGNORECASE)) == "a"


@pytest.mark.parametrize("text,value", [
    ("1,234.5", 1234.5), ("$3", 3.0), ("50%", 50.0), ("7.", 7.0), (4, 4.0), ("seven", None)])
def test_number(text, value):
    assert c.number(text) == value


def test_matches_with_choices_label_is_the_option_index():
    assert c.matches("B", 1, ["A", "B", "C"]) == (True, True)
    assert c.matches("B", 2, ["A", "B", "C"]) == (True, False)
    assert c.matches("D", 3, ["A", "B", "C"]) == (False, False)      # not an option
    assert c.matches("b", 1, ["A", "B", "C"]) == (False, False)      # case counts by default
    assert c.matches("b", 1, ["A", "B", "C"], ignore_case=True) == (True, True)
    assert c.matches(None, 0, ["A", "B"]) == (False, False)
    assert c.matches("A", 1.0, ["A", "B"]) == (True, False)          # a float label from Parquet


def test_matches_without_choices_numbers_then_text():
    assert c.matches("1,000", 1000) == (True, True)
    assert c.matches("0.5", "0.50") == (True, True)
    assert c.matches("3", 4) == (True, False)
    assert c.matches(" Paris ", "paris", None, ignore_case=True) == (True, True)
    assert c.matches("Paris", "paris", None) == (True, False)
