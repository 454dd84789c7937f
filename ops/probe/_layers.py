"""Where things are inside a decoder-only LM, per family, and which layers a spec means.

Every probe op reads or edits the same few places of a model: its decoder blocks, each
block's MLP and attention, the final norm and the unembedding. They live under
different names in each family (`transformer.h[i].mlp` in GPT-2, `model.decoder.layers[i]`
with `fc2` as the MLP's output in OPT, `model.layers[i].mlp` in Llama and its kin);
`Anatomy` finds them once, so ops never spell out a family.

Layer selectors (`resolve_layers`), as a spec writes them, all meaning 0-based blocks:

    "all"              every block
    [0, 3, -1]         indices; negative ones count from the last block (-1 = last)
    [0.5, 1.0]         fractions of depth: block int(f * depth), 1.0 = the last block
    ["2/3:"]           a slice FROM:TO (TO exclusive, either side optional), whose ends
                       are indices or fractions: "2/3:" is the last third of any model,
                       "-4:" the last four blocks, "0.25:0.5" the second quarter

so one spec can name "the late layers" across families of different depth.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence


class LayerError(ValueError):
    """A layer selector that does not fit a model (beyond its depth)."""


# --- selectors ---------------------------------------------------------------------

def _bound(text: str) -> int | Fraction:
    text = text.strip()
    if "/" in text or "." in text:
        value = Fraction(text)
        if not 0 <= value <= 1:
            raise ValueError(f"fraction {text!r} is outside [0, 1]")
        return value
    return int(text)


def parse_entry(entry: object) -> object:
    """Check one selector entry's form (an int, a fraction in [0, 1], or a "FROM:TO"
    slice) without a model; ValueError with what was expected. Used by params models."""
    if isinstance(entry, bool):
        raise ValueError(f"layer {entry!r}: expected an integer, a fraction or a slice")
    if isinstance(entry, int):
        return entry
    if isinstance(entry, float):
        if not 0.0 <= entry <= 1.0:
            raise ValueError(f"layer {entry!r}: a fractional layer is a share of depth in [0, 1]; "
                             "write whole blocks as integers")
        return entry
    if isinstance(entry, str) and entry.count(":") == 1:
        for side in entry.split(":"):
            if side.strip():
                try:
                    _bound(side)
                except (ValueError, ZeroDivisionError) as err:
                    raise ValueError(f"layer slice {entry!r}: {err}") from None
        return entry
    raise ValueError(f"layer {entry!r}: expected an integer (negative counts from the end), "
                     'a fraction of depth in [0, 1] or a slice such as "2/3:" or "-4:"')


def _index(value: int | float | Fraction, depth: int, original: object) -> int:
    if isinstance(value, int):
        index = value + depth if value < 0 else value
        if not 0 <= index < depth:
            raise LayerError(f"layer {original!r} is beyond the model's depth: it has {depth} "
                             f"blocks (0..{depth - 1}, or -{depth}..-1 from the end)")
        return index
    return min(int(Fraction(value) * depth), depth - 1)


def _slice_end(text: str, depth: int, default: int) -> int:
    if not text.strip():
        return default
    value = _bound(text)
    if isinstance(value, int):
        return max(0, min(depth, value + depth if value < 0 else value))
    return int(value * depth)


def resolve_layers(selector: str | Sequence[object], depth: int) -> list[int]:
    """Sorted distinct block indices a selector means for a model of `depth` blocks.
    LayerError when an index lies beyond the depth or a slice is empty."""
    if selector == "all":
        return list(range(depth))
    found: set[int] = set()
    for entry in selector:
        if isinstance(entry, str):
            start, _, stop = entry.partition(":")
            chosen = range(_slice_end(start, depth, 0), _slice_end(stop, depth, depth))
            if not chosen:
                raise LayerError(f"layer slice {entry!r} selects no block of a {depth}-block model")
            found.update(chosen)
        else:
            found.add(_index(entry, depth, entry))
    return sorted(found)


def resolve_layer(entry: object, depth: int) -> int:
    """One block index (an int or a fraction, no slice)."""
    if isinstance(entry, str):
        raise LayerError(f"layer {entry!r}: expected one block, not a slice")
    return _index(entry, depth, entry)


# --- anatomy -----------------------------------------------------------------------

@dataclass
class Anatomy:
    """The parts of a causal LM the probes touch. `decode(h)` is what the model does to
    its last block's output to get logits: final norm (+ OPT's projection), unembedding
    (+ Gemma 2's logit soft-capping)."""

    family: str
    blocks: list[Any]
    mlps: list[Any]            # the module whose output is a block's MLP contribution
    attentions: list[Any]      # ... its attention contribution (output [0] when a tuple)
    final_norm: Any | None
    project_out: Any | None    # OPT's word_embed_proj_dim projection, else None
    unembed: Any
    logit_softcap: float | None = None   # Gemma 2: logits = c·tanh(logits / c) after the head

    @property
    def depth(self) -> int:
        return len(self.blocks)

    def normed(self, hidden: Any) -> Any:
        h = hidden if self.final_norm is None else self.final_norm(hidden)
        return h if self.project_out is None else self.project_out(h)

    def decode(self, hidden: Any, norm: bool = True) -> Any:
        """Logits of a residual-stream state, as the model's own head makes them."""
        h = self.normed(hidden) if norm else hidden
        logits = self.unembed(h)
        if self.logit_softcap:   # part of the model's own head: without it the last block's lens is not its output
            logits = (logits / self.logit_softcap).tanh() * self.logit_softcap
        return logits

    def site(self, name: str) -> list[Any]:
        return {"residual": self.blocks, "mlp": self.mlps, "attention": self.attentions}[name]


def anatomy(lm: Any) -> Anatomy:
    """Find the blocks, MLPs, attentions, final norm and unembedding of a causal LM."""
    unembed = lm.get_output_embeddings()
    base = getattr(lm, "transformer", None)
    if base is not None and hasattr(base, "h"):                       # GPT-2, GPT-J, GPT-Neo
        blocks = list(base.h)
        return Anatomy("gpt2", blocks, [b.mlp for b in blocks], [b.attn for b in blocks],
                       base.ln_f, None, unembed)
    inner = getattr(lm, "model", None)
    decoder = getattr(inner, "decoder", None)
    if decoder is not None and hasattr(decoder, "layers"):            # OPT
        blocks = list(decoder.layers)
        return Anatomy("opt", blocks, [b.fc2 for b in blocks], [b.self_attn for b in blocks],
                       getattr(decoder, "final_layer_norm", None), getattr(decoder, "project_out", None),
                       unembed)
    if inner is not None and hasattr(inner, "layers") and hasattr(inner, "norm"):   # Llama, Mistral, Qwen ...
        blocks = list(inner.layers)
        return Anatomy("llama", blocks, [b.mlp for b in blocks], [b.self_attn for b in blocks],
                       inner.norm, None, unembed,
                       getattr(getattr(lm, "config", None), "final_logit_softcapping", None))
    raise LayerError(f"cannot find the decoder blocks of a {type(lm).__name__}: the probes know "
                     "the gpt2, opt and llama families (and models laid out like them)")


def first_tensor(output: Any) -> Any:
    """A module's main output: blocks and attentions may return (tensor, extras...)."""
    return output[0] if isinstance(output, tuple) else output


def replace_first(output: Any, tensor: Any) -> Any:
    return (tensor, *output[1:]) if isinstance(output, tuple) else tensor


class Recorder:
    """Forward hooks that keep the output of chosen modules during one forward pass:
    `with Recorder(modules) as rec: lm(...)`, then `rec.outputs[k]` is module k's main
    output for the last call (the hooks are removed on exit)."""

    def __init__(self, modules: Sequence[Any], transform: Callable[[Any], Any] | None = None):
        self.modules = list(modules)
        self.transform = transform or (lambda t: t)
        self.outputs: list[Any] = [None] * len(self.modules)
        self._handles: list[Any] = []

    def __enter__(self) -> "Recorder":
        for k, module in enumerate(self.modules):
            self._handles.append(module.register_forward_hook(self._hook(k)))
        return self

    def _hook(self, k: int) -> Callable:
        def hook(module: Any, args: Any, output: Any) -> None:
            self.outputs[k] = self.transform(first_tensor(output))
        return hook

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
