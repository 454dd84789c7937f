"""Direct Preference Optimization (TRL `DPOTrainer`) on chosen/rejected pairs.

Raises the policy's log-likelihood ratio of chosen over rejected responses
relative to a frozen reference model, with strength `beta`. The reference is the
starting model unless `reference` names another; with LoRA it is the base model
with the adapters switched off (no second copy in memory).

To monitor the likelihood of preferred responses during training, set `steps`
and `checkpoint_every`, then score the `checkpoint` axis with eval.logprob_pairs
(good: chosen, bad: rejected, context: prompt).

The fine-tuning params (lr, steps/epochs, replay, LoRA, precision ...) are the
same in train.sft, train.dpo and train.orpo. Cost: 6·N·D full
(≈4·N·D with LoRA) over chosen and rejected sequences, + 2·N_ref·D for the
reference forward passes.

    dpo:
      op: train.dpo
      model: sft
      data: preferences.train
      lr: 5.0e-7
      beta: 0.1
      steps: 500
      checkpoint_every: 100
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .._op import ModelRef, Op
from ._finetune import PreferenceParams, finetune_axes, finetune_cost


class Params(PreferenceParams):
    beta: float = Field(default=0.1, gt=0.0, description=(
        "Strength of the KL constraint to the reference model. Lower (0.01-0.05) lets "
        "the policy move further; higher keeps it close to the reference."))
    loss_type: Literal["sigmoid", "ipo", "hinge"] = Field(default="sigmoid", description=(
        "DPO loss: sigmoid (original DPO), ipo (bounded, less overfitting on "
        "near-deterministic preferences) or hinge (SLiC)."))
    reference: ModelRef | None = Field(default=None, description=(
        "Frozen reference model. None (default) = `model` as it was before training; "
        "name another model to measure drift against it instead."))

    def reference_model(self) -> str | None:
        return self.reference or self.model


OP = Op(name="train.dpo", version=1, params=Params, produces="model", doc=__doc__,
        cost=finetune_cost, axes=finetune_axes)
