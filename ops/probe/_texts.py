"""The texts a probe op runs: one per record of a data source, tokenized once."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def probe_texts(ctx: Any, data: str, field: str, tokenizer: Any, bos: Sequence[int],
                max_length: int | None) -> tuple[Any, list[list[int]]]:
    """(records as a DataFrame, token ids per record). A plain-text source gives one
    record per line (field `text`)."""
    from ._forward import encode_texts
    items = ctx.data(data).to_pandas().reset_index(drop=True)
    column = "text" if ctx.data_kind(data) == "text" else field
    if column not in items.columns:
        raise KeyError(f"data source {data!r} has no field {column!r} "
                       f"(it has {', '.join(map(str, items.columns))})")
    return items, encode_texts(tokenizer, [str(t) for t in items[column]], bos, max_length)


def named_positions(items: Any, pooling: object, tokenizer: Any, bos: Sequence[int],
                    texts: Sequence[Sequence[int]], model: str) -> np.ndarray | None:
    """Token index of a named position per item ({end_of: FIELD}: the last token of the
    field's text, which must begin the item's text), or None for the other poolings."""
    from ._params import EndOf
    if not isinstance(pooling, EndOf):
        return None
    heads = [str(v).rstrip() for v in items[pooling.end_of]]
    encoded = tokenizer(heads, add_special_tokens=False)["input_ids"] if heads else []
    out = np.empty(len(heads), dtype=np.int64)
    for i, (head, ids) in enumerate(zip(heads, encoded)):
        n = len(bos) + len(ids)
        if n == 0 or list(texts[i][:n]) != list(bos) + list(ids):
            raise ValueError(f"model {model!r}, item {i}: its text does not begin with its "
                             f"{pooling.end_of!r} ({head!r}), so that position cannot be found")
        out[i] = n - 1
    return out
