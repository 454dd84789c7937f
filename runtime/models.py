"""Build or load the causal LMs a spec names.

Config models are built from scratch with transformers (`init: gpt2 | opt | llama`);
pretrained ones load from the hub at a pinned revision or from a local folder.
The shapes follow `specc.compiler.model_size`, so cost estimates count the same
parameters that get trained.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from specc.compiler.datafiles import DataPathError, DataRoots, checked_folder, local_folder
from specc.compiler.model_size import DEFAULT_VOCAB, ffn_width
from specc.compiler.spec_model import ConfigModel, HubModel, LocalModel


def transformers_config(model: ConfigModel, vocab_size: int | None = None) -> Any:
    import transformers
    vocab = model.vocab_size or vocab_size or DEFAULT_VOCAB
    if model.init == "gpt2":
        # GPT-2's <|endoftext|> id (50256) exists only in its own vocabulary.
        special = DEFAULT_VOCAB - 1 if vocab >= DEFAULT_VOCAB else None
        return transformers.GPT2Config(
            bos_token_id=special, eos_token_id=special,
            vocab_size=vocab, n_positions=model.n_positions, n_embd=model.n_embd, n_layer=model.n_layer,
            n_head=model.n_head, n_inner=ffn_width(model), resid_pdrop=model.dropout,
            embd_pdrop=model.dropout, attn_pdrop=model.dropout, tie_word_embeddings=model.tie_embeddings)
    if model.init == "opt":
        return transformers.OPTConfig(
            vocab_size=vocab, hidden_size=model.n_embd, num_hidden_layers=model.n_layer,
            num_attention_heads=model.n_head, ffn_dim=ffn_width(model),
            max_position_embeddings=model.n_positions, word_embed_proj_dim=model.n_embd,
            dropout=model.dropout, attention_dropout=model.dropout,
            tie_word_embeddings=model.tie_embeddings)
    return transformers.LlamaConfig(
        vocab_size=vocab, hidden_size=model.n_embd, intermediate_size=ffn_width(model),
        num_hidden_layers=model.n_layer, num_attention_heads=model.n_head,
        num_key_value_heads=model.n_kv_head or model.n_head, max_position_embeddings=model.n_positions,
        attention_dropout=model.dropout, tie_word_embeddings=model.tie_embeddings)


def model_source(model: HubModel | LocalModel, spec_dir: Path | None,
                 roots: DataRoots | None) -> tuple[str, str | None]:
    """(what to pass to from_pretrained, revision) for a pretrained model, checked where it
    is opened: a `path:` folder and every file in it lie inside the roots (symlinks
    resolved); a `hub:` name must not exist as a local folder, which transformers would
    load instead of the hub's model."""
    if isinstance(model, HubModel):
        local = local_folder(model.hub, spec_dir or Path.cwd())
        if local is not None:
            raise DataPathError(f"hub {model.hub!r} names a local folder ({local}), not a hub model; "
                                "write `path:` for a saved model")
        return model.hub, model.revision
    path = Path(model.path).expanduser()
    if not path.is_absolute() and spec_dir is not None:
        path = spec_dir / path
    if roots is not None:
        checked_folder(path, roots, f"model path {model.path!r}")
    return str(path), None


def build_model(model: ConfigModel | HubModel | LocalModel, vocab_size: int | None = None,
                spec_dir: Path | None = None, seed: int = 0, roots: DataRoots | None = None) -> Any:
    """A transformers causal LM: freshly initialised (seeded) or loaded."""
    import torch
    import transformers
    if isinstance(model, ConfigModel):
        torch.manual_seed(seed)  # same seed, same initial weights
        return transformers.AutoModelForCausalLM.from_config(transformers_config(model, vocab_size))
    source, revision = model_source(model, spec_dir, roots)
    return transformers.AutoModelForCausalLM.from_pretrained(source, revision=revision,
                                                             local_files_only=revision is None)
