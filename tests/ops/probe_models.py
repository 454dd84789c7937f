"""Tiny models of the three families the probe ops know, built in memory (seeded)."""
from __future__ import annotations

import torch
import transformers

VOCAB = 64


def tiny(family: str, seed: int = 0, layers: int = 4, width: int = 32):
    torch.manual_seed(seed)
    if family == "gpt2":
        cfg = transformers.GPT2Config(vocab_size=VOCAB, n_layer=layers, n_embd=width, n_head=2,
                                      n_positions=64, bos_token_id=0, eos_token_id=0)
    elif family == "opt":
        cfg = transformers.OPTConfig(vocab_size=VOCAB, num_hidden_layers=layers, hidden_size=width,
                                     ffn_dim=2 * width, num_attention_heads=2, word_embed_proj_dim=width,
                                     max_position_embeddings=64)
    elif family == "gemma2":   # a llama-like layout whose head soft-caps its logits
        cfg = transformers.Gemma2Config(vocab_size=VOCAB, num_hidden_layers=layers, hidden_size=width,
                                        intermediate_size=2 * width, num_attention_heads=2,
                                        num_key_value_heads=1, head_dim=width // 2,
                                        max_position_embeddings=64, final_logit_softcapping=0.5)
    elif family == "qwen2_moe":   # mixture of experts: each block's MLP is a sparse MoE block
        cfg = transformers.Qwen2MoeConfig(vocab_size=VOCAB, num_hidden_layers=layers, hidden_size=width,
                                          intermediate_size=2 * width, num_attention_heads=2,
                                          num_key_value_heads=2, moe_intermediate_size=width // 2,
                                          shared_expert_intermediate_size=width, num_experts=4,
                                          num_experts_per_tok=2, max_position_embeddings=64)
    else:
        cfg = transformers.LlamaConfig(vocab_size=VOCAB, num_hidden_layers=layers, hidden_size=width,
                                       intermediate_size=2 * width, num_attention_heads=2,
                                       num_key_value_heads=2, max_position_embeddings=64)
    return transformers.AutoModelForCausalLM.from_config(cfg).eval()


def ids(batch: int = 3, length: int = 7, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(1, VOCAB, (batch, length), generator=g)
