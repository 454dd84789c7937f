"""Prompt rendering shared by eval.generate and eval.judge: item fields into the prompt
template, and the conversation through a chat template (the spec's or the tokenizer's)."""
from __future__ import annotations

import copy

import pytest
from generation_helpers import tiny_tokenizer

from specc.ops.eval._prompting import chat_text, fill, missing_fields, render, template_record

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
          "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer()


def test_spec_chat_template_renders_exactly(tok):
    text = chat_text(tok, CHATML, "You are terse.", "Who wrote Hamlet?")
    assert text == ("<|im_start|>system\nYou are terse.<|im_end|>\n"
                    "<|im_start|>user\nWho wrote Hamlet?<|im_end|>\n"
                    "<|im_start|>assistant\n")


def test_without_system_prompt_there_is_no_system_turn(tok):
    assert chat_text(tok, CHATML, None, "Hi") == ("<|im_start|>user\nHi<|im_end|>\n"
                                                  "<|im_start|>assistant\n")


def test_tokenizer_template_is_used_and_bos_comes_from_it(tok):
    own = copy.deepcopy(tok)
    own.chat_template = "{{ bos_token }}{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}[assistant]"
    assert chat_text(own, "tokenizer", "Be kind.", "Hello") == \
        "<|endoftext|>[system] Be kind.\n[user] Hello\n[assistant]"
    assert template_record(own, "tokenizer") == {"chat_template": "tokenizer",
                                                 "chat_template_text": own.chat_template}


def test_tokenizer_without_a_template_is_an_error(tok):
    with pytest.raises(ValueError, match="has no chat template"):
        chat_text(tok, "tokenizer", None, "Hello")


def test_plain_prompt_is_the_filled_template(tok):
    row = {"context": "A man walked in.", "question": "Who?", "n": 3, "missing": float("nan")}
    user = fill("{context}\n{question} ({n}){missing}", row)
    assert user == "A man walked in.\nWho? (3)"
    assert render(tok, None, None, user) == user
    assert template_record(tok, None) == {"chat_template": None}


def test_missing_fields_lists_unknown_placeholders_once():
    assert missing_fields("{a} {b} {b} {response}", ["a"], reserved=("response",)) == ["b"]
