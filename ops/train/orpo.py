"""Odds Ratio Preference Optimization (TRL `ORPOTrainer`): SFT and preference in one.

Adds to the next-token loss on chosen responses a term that raises the odds of
chosen over rejected responses, weighted by `beta` (λ in the ORPO paper). No
reference model: it starts from a base model without a prior SFT stage.

The fine-tuning params (lr, steps/epochs, replay, LoRA, precision ...) are the
same in train.sft, train.dpo and train.orpo. Cost: 6·N·D full
(≈4·N·D with LoRA) over chosen and rejected sequences.

    orpo:
      op: train.orpo
      model: pretrain
      data: preferences.train
      lr: 8.0e-6
      beta: 0.1
      epochs: 1
"""
from __future__ import annotations

from pydantic import Field

from .._op import Op
from ._finetune import PreferenceParams, finetune_axes, finetune_cost


class Params(PreferenceParams):
    beta: float = Field(default=0.1, gt=0.0, description=(
        "Weight λ of the odds-ratio term against the SFT loss. Higher pushes harder "
        "away from rejected responses; the paper uses 0.1 to 0.25."))


OP = Op(name="train.orpo", version=1, params=Params, produces="model", doc=__doc__,
        cost=finetune_cost, axes=finetune_axes)
