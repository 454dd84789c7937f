"""What pretraining (train.pretrain) and fine-tuning (train._finetune) share: the
optimiser params that mean the same in both, and the checkpoint schedule.

Only what is identical lives here. Most optimiser params (lr, batch_size, steps,
weight_decay ...) have other defaults and other advice in their descriptions for
pretraining than for fine-tuning, so each op spells those out itself.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo


def _within_steps(value: int, info: ValidationInfo) -> int:
    # `steps` is declared before `warmup_steps`; it is absent when it failed its own
    # validation and None when training is measured in epochs: nothing to check then.
    steps = info.data.get("steps")
    if steps is not None and value > steps:
        raise ValueError(f"warmup_steps ({value}) exceeds steps ({steps})")
    return value


# Steps of linear warmup: at least 0 and at most `steps`. Each op gives the description.
WarmupSteps = Annotated[int, Field(ge=0), AfterValidator(_within_steps)]

MaxGradNorm = Annotated[
    float | None,
    Field(gt=0.0, description=(
        "Clip the global gradient norm to this value; None disables clipping.")),
]


def checkpoint_schedule(every: int, steps: int) -> list[int]:
    """Steps at which to save: every `every` steps, and always the last step."""
    return sorted(set(range(every, steps + 1, every)) | {steps})
