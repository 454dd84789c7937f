"""Turning texts into the token segments the scorer takes (prefix, context, target).

Each piece of a scored text (a prompt, an item's context, an alternative) is tokenized
on its own and the token lists are concatenated, so every alternative of an item sees
exactly the same context tokens and a shared prompt is one cacheable prefix. Pieces are
cut before whitespace: a prompt's trailing space moves to the start of the next piece
("Well, " + "the" is scored as "Well," + " the"), as lm-evaluation-harness does. With a
GPT-2-style byte-level BPE, whose pre-tokenizer also splits before a space, the tokens
are then the same as tokenizing the whole text at once.
"""
from __future__ import annotations

from typing import Any, Iterable


def split_trailing_space(text: str) -> tuple[str, str]:
    """("Well,", " ") for "Well, ": the text without its trailing whitespace, and that."""
    core = text.rstrip()
    return core, text[len(core):]


class Encoder:
    """Tokenizes strings without special tokens, each distinct string once."""

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer
        self.cache: dict[str, tuple[int, ...]] = {"": ()}

    def add(self, texts: Iterable[str]) -> None:
        """Tokenize many strings in one batched call (fast tokenizers run it in Rust)."""
        new = sorted({t for t in texts if t not in self.cache})
        if new:
            ids = self.tokenizer(new, add_special_tokens=False)["input_ids"]
            self.cache.update(zip(new, map(tuple, ids)))

    def __call__(self, text: str) -> tuple[int, ...]:
        if text not in self.cache:
            self.add([text])
        return self.cache[text]
