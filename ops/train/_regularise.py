"""Geometric regularisers added to train.pretrain's next-token loss (`regulariser:`).

    loss = lm_loss + weight × penalty(final hidden states)

`isotropy`: the mean cosine similarity between the final-layer representations of every
pair of tokens in the micro-batch (after the final norm). Language models trained on
next-token loss drift towards an anisotropic geometry in which all tokens share one
direction (Ethayarajh 2019; Gao et al. 2019, "representation degeneration"); penalising
the mean cosine pushes the representations apart without showing the model any new
text. That makes it a negative control for data injection: it changes the geometry of
the representations, not what the model reads.

The mean over the N(N-1) ordered pairs of distinct tokens is computed from the sum of
the unit vectors, (|Σu|² − N) / (N(N − 1)): O(N·d), not the O(N²) similarity matrix.
"""
from __future__ import annotations

from typing import Any


def mean_pairwise_cosine(hidden: Any) -> Any:
    """Mean cosine similarity between distinct token vectors of `hidden` [..., d]."""
    import torch
    u = torch.nn.functional.normalize(hidden.reshape(-1, hidden.shape[-1]).float(), dim=-1)
    n = u.shape[0]
    if n < 2:
        return u.new_zeros(())
    total = u.sum(dim=0)
    return (total.dot(total) - n) / (n * (n - 1))


PENALTIES = {"isotropy": mean_pairwise_cosine}


def penalty(kind: str, hidden: Any) -> Any:
    return PENALTIES[kind](hidden)
