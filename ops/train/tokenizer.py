"""Train a byte-level BPE tokenizer on a corpus (HF `tokenizers`, GPT-2 style).

Byte-level BPE never meets an unknown character: the 256 byte values are its base
alphabet, and `vocab_size - 256 - len(special_tokens)` merges are learnt on top of
them from `data`. Use it for models trained from scratch on a small or unusual
corpus, where GPT-2's 50k vocabulary would be mostly unused embedding rows.

Produces a tokenizer that `train.pretrain` and every eval/probe stage can name in
their `tokenizer:` param. Training is deterministic given the data: no seed.

    tokenizer: {op: train.tokenizer, data: corpus, vocab_size: 2048}
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .._common import TextField, Unique, data_pass_cost
from .._op import Cost, CostContext, DataRef, Op, OpParams

BYTE_ALPHABET = 256  # byte-level BPE starts from every byte value


class Params(OpParams):
    data: DataRef = Field(description=(
        "Data source (or `source.split`) to learn merges from. Use the training split, "
        "not held-out text, so perplexity on held-out data stays honest."))
    text_field: TextField = "text"
    vocab_size: int = Field(gt=BYTE_ALPHABET, description=(
        "Final vocabulary size: 256 byte tokens + special tokens + learnt merges. "
        "Small models trained from scratch do well with 1k-8k; every entry costs "
        "one embedding row (and one unembedding row unless tied)."))
    min_frequency: int = Field(default=2, ge=1, description=(
        "A pair must occur at least this often to be merged. Raise it on noisy corpora "
        "to avoid merges for typos; 2 (default) drops only one-off pairs."))
    special_tokens: Annotated[list[Annotated[str, Field(min_length=1)]], Unique] = Field(
        default=["<|endoftext|>"], description=(
            "Tokens that are never split and get the first ids. The first one doubles as "
            "BOS/EOS/padding, like GPT-2's <|endoftext|>, which is also what `bos: auto` "
            "in eval ops looks for."))
    add_prefix_space: bool = Field(default=False, description=(
        "Treat the start of each text as if preceded by a space, so a first word gets "
        "the same token as mid-sentence. GPT-2 uses False; set True when scoring "
        "single words or short prompts matters more than round-tripping text exactly."))

    @model_validator(mode="after")
    def _fits(self) -> "Params":
        if self.vocab_size <= BYTE_ALPHABET + len(self.special_tokens):
            raise ValueError(
                f"vocab_size {self.vocab_size} leaves no room for merges: it must exceed "
                f"{BYTE_ALPHABET} byte tokens + {len(self.special_tokens)} special tokens")
        return self


def run(p: Params, ctx) -> None:
    """Learn the merges and save a transformers tokenizer under `tokenizer/`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    from .._lm import documents

    texts = documents(ctx, p.data, p.text_field)
    if ctx.data_kind(p.data) == "text":
        texts = texts[0].split("\n")  # lines: merges never span a line break, as in GPT-2
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=p.add_prefix_space)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=p.vocab_size, min_frequency=p.min_frequency, special_tokens=list(p.special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator(texts, trainer=trainer, length=len(texts))
    first = p.special_tokens[0] if p.special_tokens else None
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=first, eos_token=first,
                                  unk_token=None, pad_token=first,
                                  additional_special_tokens=list(p.special_tokens[1:]))
    tok.save_pretrained(str(ctx.out / "tokenizer"))
    merges = bpe.get_vocab_size() - BYTE_ALPHABET - len(p.special_tokens)
    ctx.record(vocab_size=bpe.get_vocab_size(), merges=merges, texts=len(texts))
    if bpe.get_vocab_size() < p.vocab_size:
        ctx.log(f"vocabulary stopped at {bpe.get_vocab_size()} of {p.vocab_size}: no pair left "
                f"occurring {p.min_frequency}+ times in {p.data}")


def cost(p: Params, ctx: CostContext) -> Cost:
    return data_pass_cost(ctx, p.data, "CPU merge counting; no model FLOPs")


OP = Op(name="train.tokenizer", version=1, params=Params, produces="tokenizer", doc=__doc__,
        cost=cost, run=run)
