"""Running many texts through a model in length-sorted batches: shared by the probe ops.

    texts = encode_texts(tok, strings, bos, max_length)      token lists
    for batch in forward_batches(lm, texts, budget, modules):
        batch.index        which texts (positions in `texts`) this batch holds
        batch.lengths      their token counts
        batch.outputs[k]   module k's output, [batch, tokens, width] (right-padded)
        batch.logits       the model's own logits (when asked for)

Texts are sorted by length and cut under a token budget (padding included), so memory
is bounded by `batch_tokens` whatever the number of texts, and padding is small. Rows
are right-padded with an attention mask: under causal attention a real token never sees
the padding after it, so every real position is exactly what the text alone gives.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from ._layers import Recorder


def encode_texts(tokenizer: Any, texts: Sequence[str], bos: Sequence[int],
                 max_length: int | None) -> list[list[int]]:
    """Token ids of each text (no special tokens but `bos` in front), cut to `max_length`."""
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
    out = [list(bos) + list(t) for t in ids]
    if max_length is not None:
        out = [t[:max_length] for t in out]
    for i, t in enumerate(out):
        if not t:
            raise ValueError(f"item {i}: the text is empty and there is no BOS token to read")
    return out


def check_fits(texts: Sequence[Sequence[int]], limit: int | None, what: str) -> None:
    if limit is None:
        return
    for i, t in enumerate(texts):
        if len(t) > limit:
            raise ValueError(f"{what}: item {i} is {len(t)} tokens long; the model takes at most "
                             f"{limit}: set max_length or shorten the texts")


@dataclass
class Batch:
    index: np.ndarray
    lengths: np.ndarray
    outputs: list[Any]
    logits: Any | None


def batch_order(lengths: Sequence[int], budget: int) -> Iterator[np.ndarray]:
    """Index arrays of consecutive runs of length-sorted texts whose padded size fits."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    start = 0
    while start < len(order):
        width = lengths[order[start]]
        size = max(1, budget // max(width, 1))
        yield order[start:start + size]
        start += size


def padded(texts: Sequence[Sequence[int]], index: np.ndarray, device: Any) -> tuple[Any, Any, np.ndarray]:
    import torch
    lengths = np.array([len(texts[i]) for i in index])
    ids = np.zeros((len(index), int(lengths.max())), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, i in enumerate(index):
        ids[row, :lengths[row]] = texts[i]
        mask[row, :lengths[row]] = 1
    return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device), lengths


def forward_batches(lm: Any, texts: Sequence[Sequence[int]], budget: int, modules: Sequence[Any],
                    logits: bool = False) -> Iterator[Batch]:
    """One forward pass per batch; the outputs of `modules` recorded by forward hooks."""
    import torch
    device = next(lm.parameters()).device
    for index in batch_order([len(t) for t in texts], budget):
        # Inference mode per batch, never across the yield: the caller's code between
        # batches (a tuned-lens fit) must run with autograd as it set it.
        with torch.inference_mode():
            ids, mask, lengths = padded(texts, index, device)
            with Recorder(modules) as rec:
                if logits:
                    out = lm(input_ids=ids, attention_mask=mask, use_cache=False).logits
                else:
                    lm.base_model(input_ids=ids, attention_mask=mask, use_cache=False)
                    out = None
        yield Batch(index, lengths, rec.outputs, out)


def pool(hidden: Any, lengths: np.ndarray, how: str, positions: np.ndarray | None = None) -> Any:
    """[batch, width] per text: the last token, the first, the mean over real tokens, or
    the token at `positions` (a named position). `how == "all"` is handled by callers."""
    import torch
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    if how == "last":
        return hidden[rows, torch.as_tensor(lengths - 1, device=hidden.device)]
    if how == "first":
        return hidden[:, 0]
    if how == "mean":
        mask = (torch.arange(hidden.shape[1], device=hidden.device)[None, :]
                < torch.as_tensor(lengths, device=hidden.device)[:, None])
        return (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    if how == "named":
        return hidden[rows, torch.as_tensor(positions, device=hidden.device)]
    raise ValueError(f"unknown pooling {how!r}")


def pooled(lm: Any, modules: Sequence[Any], texts: Sequence[Sequence[int]], budget: int,
           pooling: str, positions: np.ndarray | None = None) -> list[np.ndarray]:
    """One [texts, width] float32 array per module, rows in the order of `texts`."""
    out: list[np.ndarray | None] = [None] * len(modules)
    for batch in forward_batches(lm, texts, budget, modules):
        for k, hidden in enumerate(batch.outputs):
            vectors = pool(hidden, batch.lengths, pooling,
                           None if positions is None else positions[batch.index]).float().cpu().numpy()
            if out[k] is None:
                out[k] = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[k][batch.index] = vectors
    return out  # type: ignore[return-value]
