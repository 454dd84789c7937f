"""Lens arithmetic: decoding a layer's residual stream, comparing it with the final layer,
and training tuned-lens translators.

The logit lens decodes block L's output h_L the way the model decodes its last block:
`Anatomy.decode` = final norm (+ OPT's projection) then the unembedding. At the last
block that is exactly the model's logits, so KL(last ‖ final) is 0 by construction, not
by tolerance. The tuned lens (Belrose et al., 2023) first maps h_L through an affine
translator per layer, h_L + A_L h_L + b_L (A, b start at 0: it starts as the logit
lens), trained to minimise KL(final ‖ lens) on a named data source.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def layer_stats(parts: Any, hidden: Any, final_logp: Any, final_top: Any, norm: bool = True,
                translator: Any = None) -> dict[str, Any]:
    """Per position of one batch: KL(layer ‖ final), the layer's entropy and whether its
    top-1 token equals the final one. `hidden` [batch, tokens, width]."""
    import torch
    if translator is not None:
        hidden = translator(hidden)
    logp = torch.log_softmax(parts.decode(hidden, norm=norm).float(), dim=-1)
    p = logp.exp()
    kl = (p * (logp - final_logp)).sum(-1).clamp_min(0.0)   # rounding can give -1e-9
    entropy = -(p * logp).sum(-1)
    return {"kl": kl, "entropy": entropy, "top1_agree": logp.argmax(-1) == final_top}


def commitment(agree: np.ndarray, layers: Sequence[int]) -> np.ndarray:
    """First layer from which `agree` holds at every later evaluated layer, per row.
    `agree` [rows, layers] bool; a row that never settles gets the last layer + 1."""
    settled = np.flip(np.cumprod(np.flip(agree, axis=1), axis=1), axis=1).astype(bool)
    first = np.where(settled.any(1), settled.argmax(1), len(layers))
    order = np.asarray(list(layers) + [layers[-1] + 1])
    return order[first]


class Translators:
    """One affine map per layer, h -> h + h A^T + b, identity at initialisation."""

    def __init__(self, layers: Sequence[int], width: int, device: Any):
        import torch
        self.layers = list(layers)
        self.weight = torch.zeros(len(self.layers), width, width, device=device, requires_grad=True)
        self.bias = torch.zeros(len(self.layers), width, device=device, requires_grad=True)

    def at(self, layer: int):
        k = self.layers.index(layer)
        weight, bias = self.weight[k].detach(), self.bias[k].detach()
        return lambda h: h + h @ weight.T.to(h.dtype) + bias.to(h.dtype)

    def state(self) -> dict[str, Any]:
        return {"layers": self.layers, "weight": self.weight.detach().cpu(), "bias": self.bias.detach().cpu()}


def train_translators(lm: Any, parts: Any, texts: Sequence[Sequence[int]], layers: Sequence[int],
                      steps: int, lr: float, budget: int, seed: int, max_tokens: int) -> tuple[Translators, list[float]]:
    """Fit the translators of `layers` (the last block keeps the identity) on the tokens
    of `texts`: hidden states are collected once (one forward per batch, at most
    `max_tokens` positions), then `steps` Adam steps on random minibatches of 512 positions."""
    import torch
    from ._forward import forward_batches
    states: list[list[Any]] = [[] for _ in layers]
    finals: list[Any] = []
    seen = 0
    for batch in forward_batches(lm, texts, budget, [parts.blocks[i] for i in layers], logits=True):
        for r, n in enumerate(batch.lengths):
            for k in range(len(layers)):
                states[k].append(batch.outputs[k][r, :n].float().clone())
            finals.append(torch.log_softmax(batch.logits[r, :n].float(), -1).clone())
        seen += int(batch.lengths.sum())
        if seen >= max_tokens:
            break
    hidden = [torch.cat(s)[:max_tokens] for s in states]
    target = torch.cat(finals)[:max_tokens]
    width = hidden[0].shape[-1]
    tr = Translators(layers, width, target.device)
    trainable = [k for k, layer in enumerate(layers) if layer != parts.depth - 1]
    losses: list[float] = []
    if not trainable or steps == 0:
        return tr, losses
    opt = torch.optim.Adam([tr.weight, tr.bias], lr=lr)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    p_final = target.exp()
    for _ in range(steps):
        pick = torch.randint(0, target.shape[0], (min(512, target.shape[0]),), generator=gen)
        loss = 0.0
        for k in trainable:
            h = hidden[k][pick]
            h = h + h @ tr.weight[k].T + tr.bias[k]
            logp = torch.log_softmax(parts.decode(h).float(), -1)
            loss = loss + (p_final[pick] * (target[pick] - logp)).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()) / len(trainable))
    return tr, losses
