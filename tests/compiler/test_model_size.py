"""Parameter counts used for cost estimates match real transformers models."""
import pytest
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, OPTConfig, OPTForCausalLM

from specc.compiler.model_size import ffn_width, param_count
from specc.compiler.spec_model import ConfigModel


def real_count(model) -> int:
    return sum(p.numel() for p in model.parameters())  # tied weights are counted once


@pytest.mark.parametrize("shape", [dict(n_layer=2, n_embd=64, n_head=2), dict(n_layer=3, n_embd=96, n_head=4)])
def test_gpt2(shape):
    spec = ConfigModel(init="gpt2", n_positions=128, vocab_size=1000, **shape)
    hf = GPT2LMHeadModel(GPT2Config(n_layer=spec.n_layer, n_embd=spec.n_embd, n_head=spec.n_head,
                                    n_positions=128, vocab_size=1000))
    assert param_count(spec) == real_count(hf)


def test_opt():
    spec = ConfigModel(init="opt", n_layer=2, n_embd=64, n_head=4, n_positions=128, vocab_size=1000)
    hf = OPTForCausalLM(OPTConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, ffn_dim=256,
                                  max_position_embeddings=128, vocab_size=1000, word_embed_proj_dim=64))
    assert param_count(spec) == real_count(hf)


@pytest.mark.parametrize("kv", [None, 2])
def test_llama(kv):
    spec = ConfigModel(init="llama", n_layer=2, n_embd=64, n_head=4, n_kv_head=kv, n_positions=128,
                       vocab_size=1000, tie_embeddings=False)
    hf = LlamaForCausalLM(LlamaConfig(hidden_size=64, intermediate_size=ffn_width(spec), num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=kv or 4,
                                      max_position_embeddings=128, vocab_size=1000, tie_word_embeddings=False))
    assert param_count(spec) == real_count(hf)


def test_vocab_falls_back_to_the_tokenizer_then_gpt2():
    spec = ConfigModel(init="gpt2", n_layer=1, n_embd=64, n_head=2)
    assert param_count(spec, 2048) - param_count(spec, 1024) == 1024 * 64
    assert param_count(spec) == param_count(spec, 50257)
