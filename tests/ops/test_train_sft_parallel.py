"""train.sft on 2 CPU workers (Ray Train, gloo, TRL's DDP through accelerate) matches one
process with the same global batch: the same examples per step (accelerate hands the one
seeded order's micro-batches to the workers in turn), losses averaged over all tokens of the
step across workers. Dropout 0, so only the order of the gradient sums differs. With
`sharding: full` accelerate's FSDP2 trains the same, and the gathered model is a plain one. Slow."""
from __future__ import annotations

import pytest
import torch
from finetune_runs import COMMON, DATA, PAIRS, SFT_FIELDS, history, weights
from op_runner import SHARED, OpRun

pytestmark = pytest.mark.slow

STAGE = f"""\
  sft:
    op: train.sft
{COMMON}    data: prefs
    fields: {SFT_FIELDS}
    steps: 4
    checkpoint_every: 2
"""


def sft_run(root, resources: str = "") -> OpRun:
    root.mkdir(parents=True)
    blimp = (SHARED / "blimp" / "anaphor_gender_agreement.jsonl").read_text().splitlines()[:PAIRS]
    (root / "prefs.jsonl").write_text("\n".join(blimp) + "\n")
    (root / "corpus.txt").write_text((SHARED / "corpora" / "tinyshakespeare.txt").read_text()[:40_000])
    data = DATA.replace("n_positions: 64}", "n_positions: 64, dropout: 0.0}")
    run = OpRun(root, data + STAGE + (f"    resources: {resources}\n" if resources else ""))
    run.execute()
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory, ray_local):
    root = tmp_path_factory.mktemp("sft-parallel")
    return (sft_run(root / "one"), sft_run(root / "two", "{workers: 2}"),
            sft_run(root / "fsdp", "{workers: 2, sharding: full}"))


@pytest.mark.parametrize("variant", [1, 2], ids=["ddp", "fsdp"])
def test_two_workers_match_one(runs, variant):
    one, two = runs[0], runs[variant]
    a, b = history(one, "sft"), history(two, "sft")
    assert list(a["step"]) == list(b["step"]) == [1, 2, 3, 4]
    assert list(a["loss"]) == pytest.approx(list(b["loss"]), abs=1e-4)
    assert list(a["grad_norm"]) == pytest.approx(list(b["grad_norm"]), abs=1e-3)
    for sub in ("model", "checkpoints/2"):
        wa, wb = weights(one.folder("sft") / sub), weights(two.folder("sft") / sub)
        assert wa.keys() == wb.keys(), sub  # tied weights saved once, as save_pretrained does
        assert all(torch.allclose(wa[k], wb[k], atol=1e-4, rtol=0) for k in wa), sub


def test_records_world_size_and_batches(runs):
    one, two, fsdp = (r.manifest("sft")["facts"] for r in runs)
    assert (one["global_batch"], one["per_device_batch"], one["world_size"]) == (4, 4, 1)
    assert (two["global_batch"], two["per_device_batch"], two["world_size"]) == (4, 2, 2)
    assert two["parallelism"] == "DDP" and two["trl_config"]["per_device_train_batch_size"] == 2
    assert fsdp["parallelism"] == "FSDP FULL_SHARD" and fsdp["trl_config"]["fsdp"]  # what TRL read back
