"""Supervised fine-tuning (TRL `SFTTrainer`) on prompt/completion records.

Trains `model` to produce each record's completion given its prompt; by default
only completion tokens carry loss (`completion_only_loss`), so the model learns
to answer rather than to imitate prompts. With `fields.prompt: null` the records
are plain text and every token is trained on.

The fine-tuning params (lr, steps/epochs, replay, LoRA, precision ...) are the
same in train.sft, train.dpo and train.orpo. Cost: 6·N·D full, ≈4·N·D with LoRA.

    sft:
      op: train.sft
      model: pretrain
      data: instructions.train
      fields: {prompt: question, completion: answer}
      lr: 2.0e-5
      epochs: 1
      lora: {r: 16}
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .._common import DATA_COLUMN, differs_from
from .._op import Op, OpParams
from ._finetune import FinetuneParams, finetune_axes, finetune_cost


class SftFields(OpParams):
    prompt: Annotated[str | None, DATA_COLUMN] = Field(default="prompt", min_length=1, description=(
        "Field holding the prompt. None = records are plain text in `completion` "
        "(language modelling on every token)."))
    completion: Annotated[str, DATA_COLUMN, differs_from("prompt")] = Field(
        default="completion", min_length=1, validate_default=True, description=(
            "Field holding the target completion (or the whole text when prompt is None)."))


class Params(FinetuneParams):
    fields: SftFields = Field(default_factory=SftFields, description=(
        "Which record fields hold the prompt and the completion."))
    completion_only_loss: bool = Field(default=True, description=(
        "Compute the loss on completion tokens only (TRL's default for prompt/"
        "completion data). False also trains on the prompt. Ignored for plain text."))


OP = Op(name="train.sft", version=1, params=Params, produces="model", doc=__doc__,
        cost=finetune_cost, axes=finetune_axes)
