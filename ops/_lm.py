"""Loading the language model and tokenizer an op's params name, the same way in every op.

    tok = load_tokenizer(ctx, p.tokenizer, p.model)      the stage's `tokenizer:` or the model's own
    lm = load_lm(ctx, p.model, tok, p.precision)        on ctx.device, in the precision, eval mode
    bos = bos_prefix(tok, p.bos)                        [] or [bos id], by the BOS policy

A `models:` entry built from config has no vocabulary of its own: it is sized to the
tokenizer. Every choice that changes numbers (device, dtype, tokenizer, BOS) is
recorded in the artifact's manifest through `ctx.record`.
"""
from __future__ import annotations

from typing import Any

# Spec precision names -> torch dtype names.
DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def load_tokenizer(ctx: Any, tokenizer: str | None, model: str) -> Any:
    """The tokenizer a stage names, else the one saved with its model."""
    tok = ctx.tokenizer(tokenizer or model)
    ctx.record(tokenizer=tokenizer or model, vocab_size=len(tok))
    return tok


def load_lm(ctx: Any, model: str, tokenizer: Any, precision: str = "fp32") -> Any:
    """The causal LM `model` names, for reading (shared with other tasks on this worker)."""
    # Always cast, fp32 too: transformers loads a checkpoint in the dtype it was saved in
    # (dtype="auto"), so a bf16 hub model would otherwise be scored in bf16 as "fp32".
    lm = ctx.model(model, vocab_size=len(tokenizer), dtype=DTYPES[precision])
    check_vocab(lm, tokenizer, model)
    ctx.record(device=str(ctx.device), precision=precision, dtype=str(next(lm.parameters()).dtype))
    return lm


def check_vocab(lm: Any, tokenizer: Any, model: str) -> None:
    rows = lm.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > rows:
        raise ValueError(f"model {model!r} has {rows} embedding rows but its tokenizer has "
                         f"{len(tokenizer)} tokens: they were not trained together")


def bos_prefix(tokenizer: Any, policy: str) -> list[int]:
    """Token ids to put before every text under a BOS policy (auto / always / never)."""
    bos = tokenizer.bos_token_id
    if policy == "never" or (policy == "auto" and bos is None):
        return []
    if bos is None:
        raise ValueError("bos: always, but the tokenizer defines no BOS token")
    return [bos]


def max_positions(lm: Any) -> int | None:
    """The longest sequence the model's position embeddings allow (None: no fixed limit)."""
    cfg = lm.config
    for name in ("n_positions", "max_position_embeddings"):
        value = getattr(cfg, name, None)
        if isinstance(value, int):
            return value
    return None


def documents(ctx: Any, data: str, text_field: str) -> list[str]:
    """The texts of a data source: one per record (its `text_field`), or, for a plain-text
    file (read one line per record), the whole file (or split part) as one text."""
    ds = ctx.data(data)
    if ctx.data_kind(data) == "text":
        return ["\n".join(ds["text"])]
    if text_field not in ds.column_names:
        raise KeyError(f"data source {data!r} has no field {text_field!r} "
                       f"(it has {', '.join(ds.column_names)})")
    return [str(t) for t in ds[text_field]]
