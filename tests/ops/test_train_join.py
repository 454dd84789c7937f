"""Fine-tuning joins prompt and response with one space, as the eval ops' `separator: " "` does."""
from __future__ import annotations

import pytest

from specc.ops.train._trl import join


@pytest.mark.parametrize("prompt, response, trained", [
    ("Katherine can't help", "herself", " herself"),   # BLiMP's bare words get the space
    ("Katherine can't help", " herself", " herself"),  # one already there is kept, not doubled
    ("Question: ", "yes", "yes"),                      # the prompt ends in whitespace
    ("Line one\n", "two", "two"),
    ("", "plain text", "plain text"),                  # no prompt, nothing to separate
    ("prompt", "", ""),
])
def test_join(prompt, response, trained):
    assert join(prompt, response) == trained


def test_the_prompt_tokenizes_as_it_would_alone():
    # The space goes on the response, so a byte-level BPE keeps the prompt's tokens and
    # the response starts on a token boundary.
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    texts = ["Katherine can't help herself.", "Karla could listen to herself."] * 20
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    prompt = "Katherine can't help"
    alone = bpe.encode(prompt).ids
    joined = bpe.encode(prompt + join(prompt, "herself")).ids
    assert joined[:len(alone)] == alone and len(joined) > len(alone)
    spaced_prompt = bpe.encode(prompt + " ").ids  # the space on the prompt instead: a lone token
    assert joined[:len(spaced_prompt)] != spaced_prompt
