"""Parameter counts of config-built models, for FLOP estimates (6ND / 2ND).

The formulas follow the transformers implementations of each family; a test
checks them against real models built from the same configs.
"""
from __future__ import annotations

from .spec_model import ConfigModel

DEFAULT_VOCAB = 50257  # GPT-2's byte-level BPE, used when no tokenizer says otherwise


def ffn_width(model: ConfigModel) -> int:
    if model.d_ff is not None:
        return model.d_ff
    if model.init == "llama":   # SwiGLU: ~8/3 d keeps the MLP at ~8d^2, rounded up to 64
        return -(-(8 * model.n_embd // 3) // 64) * 64
    return 4 * model.n_embd


def param_count(model: ConfigModel, vocab_size: int | None = None) -> int:
    d, layers, ff = model.n_embd, model.n_layer, ffn_width(model)
    vocab = model.vocab_size or vocab_size or DEFAULT_VOCAB
    head = 0 if model.tie_embeddings else vocab * d
    if model.init == "llama":
        kv = d * (model.n_kv_head or model.n_head) // model.n_head
        per_layer = 2 * d * d + 2 * d * kv + 3 * d * ff + 2 * d
        return vocab * d + layers * per_layer + d + head
    # gpt2 and opt: biases everywhere, LayerNorm weight + bias, learned positions
    per_layer = (4 * d * d + 4 * d) + (2 * d * ff + ff + d) + 4 * d
    positions = (model.n_positions + 2 if model.init == "opt" else model.n_positions) * d
    return vocab * d + positions + layers * per_layer + 2 * d + head
