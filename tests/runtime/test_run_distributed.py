"""`specc run` of a training stage on 2 CPU workers: the scheduler gives the worker group its
whole footprint (2 CPUs on a 2-CPU Ray), the task's actor reserves nothing so Ray Train can
place its workers, downstream stages read the gathered model, and the ledger counts both
workers' CPU-seconds. Slow: a Ray Train worker group starts."""
from __future__ import annotations

from pathlib import Path

import pytest

from specc.runtime.store import ArtifactStore

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"

SPEC = """\
data:
  corpus: {text: corpus.txt}
models:
  tiny: {init: gpt2, n_layer: 1, n_embd: 32, n_head: 2, n_positions: 64, dropout: 0.0}
stages:
  tok: {op: train.tokenizer, data: corpus, vocab_size: 512}
  pretrain:
    op: train.pretrain
    model: tiny
    tokenizer: tok
    data: corpus
    steps: 2
    batch_size: 4
    block_size: 64
    resources: {workers: 2, sharding: full}
  ppl: {op: eval.perplexity, model: pretrain, data: corpus}
"""


def test_a_two_worker_stage_runs_end_to_end(ray_session, project):
    (project.root / "corpus.txt").write_text((SHARED / "corpora" / "tinyshakespeare.txt").read_text()[:20_000])
    plan, result = project.run(SPEC)
    assert result.ok and result.counts["succeeded"] == 3
    store = ArtifactStore(project.root / ".specc" / "store")
    key = next(t.key for t in plan.tasks if t.stage == "pretrain")
    manifest = store.manifest(key)
    facts = manifest["facts"]
    assert (facts["world_size"], facts["parallelism"], facts["per_device_batch"]) == (2, "FSDP FULL_SHARD", 2)
    from specc.runtime.run import open_ledger
    row = next(r for r in open_ledger(plan).tasks(result.run_id) if r["task_id"] == "pretrain")
    assert row["device_seconds"] == pytest.approx(2 * manifest["seconds"], rel=1e-3)  # both workers
