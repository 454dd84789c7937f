"""Fine-tuning precision: fp16 needs a GPU, and the ops say so before loading anything."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from finetune_runs import PREFERENCE_FIELDS, SFT_FIELDS, finetune_run

from specc.ops import OPS
from specc.ops.train._trl import check_device


@pytest.mark.parametrize("op", ["train.sft", "train.dpo", "train.orpo"])
def test_fp16_on_cpu_is_a_clear_error(op):
    p = OPS.get(op).params(model="m", data="d", lr=1e-4, steps=1, precision="fp16")
    with pytest.raises(ValueError, match="fp16 needs a GPU.*use precision fp32"):
        check_device(p, SimpleNamespace(device="cpu"))
    check_device(p, SimpleNamespace(device="cuda"))
    check_device(p.model_copy(update={"precision": "bf16"}), SimpleNamespace(device="cpu"))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return finetune_run(tmp_path_factory.mktemp("fp16"), f"""\
  sft:
    op: train.sft
{{common}}    data: prefs
    fields: {SFT_FIELDS}
    precision: fp16
    steps: 1
  dpo:
    op: train.dpo
{{common}}    data: prefs
    fields: {PREFERENCE_FIELDS}
    precision: fp16
    steps: 1
  orpo:
    op: train.orpo
{{common}}    data: prefs
    fields: {PREFERENCE_FIELDS}
    precision: fp16
    steps: 1
""")


@pytest.mark.parametrize("stage", ["sft", "dpo", "orpo"])
def test_a_stage_asking_fp16_on_cpu_fails_with_that_message(run, stage):
    # Only the stage itself: it fails before it reads the tokenizer stage's artifact.
    with pytest.raises(Exception, match="ValueError: precision fp16 needs a GPU"):  # the task's failure
        run.execute(only=stage)
