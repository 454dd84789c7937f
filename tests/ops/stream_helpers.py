"""What the streamed-pretraining tests share: a byte-level BPE tokenizer trained in a
second, and a stand-in task context that serves datasets and a store folder."""
from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def bpe_tokenizer(texts: list[str], vocab: int = 400):
    """A GPT-2-style byte-level BPE (as train.tokenizer builds), first special token EOS."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", bos_token="<|endoftext|>")


class StreamCtx:
    """The part of a TaskContext that packing reads: data by reference, a store folder."""

    def __init__(self, root: Path, sources: dict[str, tuple[str, object]]):
        self.root, self.sources, self.logs = root, sources, []   # name -> (kind, datasets.Dataset)

    def data(self, ref: str):
        return self.sources[ref][1]

    def data_kind(self, ref: str) -> str:
        return self.sources[ref][0]

    def data_identity(self, ref: str) -> dict:
        return {"digest": f"test:{ref}:{len(self.sources[ref][1])}", "split_seed": 0, "ref": ref}

    def shared_folder(self, kind: str, key: str) -> Path:
        return self.root / ".shared" / kind / key

    def log(self, message: str) -> None:
        self.logs.append(message)


def text_source(path: Path):
    import datasets
    return datasets.load_dataset("text", data_files=[str(path)], split="train")


def records(texts: list[str]):
    import datasets
    return datasets.Dataset.from_dict({"text": texts})
