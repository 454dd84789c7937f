"""A tiny tokenizer and GPT-2 built in-process for the generation and judge tests.

The model's weights are drawn with a wide init (std 0.5, not GPT-2's 0.02) so that its
next-token distributions are far from uniform: greedy decoding then has no near-ties that
float rounding in a padded batch could flip, and comparisons with a reference loop are exact.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@lru_cache(maxsize=None)
def tiny_tokenizer(vocab_size: int = 600):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast
    lines = (SHARED / "corpora" / "tinyshakespeare.txt").read_text().split("\n")[:4000]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    bpe.train_from_iterator(lines, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>",
                                   eos_token="<|endoftext|>", pad_token="<|endoftext|>",
                                   unk_token=None)


def tiny_lm(vocab_size: int, seed: int = 0, n_positions: int = 128, init: float = 0.5,
            n_layer: int = 2, n_embd: int = 32):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=vocab_size, n_layer=n_layer, n_embd=n_embd, n_head=2,
                        n_positions=n_positions, initializer_range=init, bos_token_id=0,
                        eos_token_id=0)
    return GPT2LMHeadModel(config).eval()
