"""Scaffolding shared by the op tests.

A test module names its op once, `OP = OPS.get("eval.perplexity")`; the fixtures
below read it from there:

    params(**kw)                       the op's MINIMAL params, overridden by kw
    invalid(kw, where=..., match=...)  params(**kw) is rejected (at field `where`,
                                       with a message matching `match`)
    ctx, blind                         a CostContext with hand-checkable sizes, and
                                       one that knows no sizes (hub models and data)
"""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from specc.ops import DataStats

# The smallest valid params of every op; tests override what they are about. Sizes
# in the cost tests follow from these (e.g. 10 steps × batch 8 for fine-tuning).
MINIMAL = {
    "train.tokenizer": {"data": "corpus", "vocab_size": 2048},
    "train.pretrain": {"model": "tiny", "data": "corpus", "steps": 300},
    "train.sft": {"model": "tiny", "data": "pairs", "lr": 2e-5, "steps": 10},
    "train.dpo": {"model": "tiny", "data": "pairs", "lr": 5e-7, "steps": 10},
    "train.orpo": {"model": "tiny", "data": "pairs", "lr": 8e-6, "steps": 10},
    "eval.logprob_pairs": {"model": "tiny", "items": "pairs", "good": "sentence_good",
                           "bad": "sentence_bad"},
    "eval.multiple_choice": {"model": "tiny", "items": "pairs"},
    "eval.perplexity": {"model": "tiny", "data": "corpus"},
    "eval.generate": {"model": "tiny", "items": "pairs", "prompt": "{prompt}"},
    "eval.judge": {"judge": "tiny", "responses": "gen", "template": "{response}\nScore:",
                   "scale": ["1", "2", "3"]},
    "eval.check": {"responses": "gen", "checks": {"short": {"max_words": 50}}},
    "probe.activations": {"model": "tiny", "data": "pairs"},
    "probe.linear": {"activations": "acts", "label": "context_condition"},
    "probe.logit_lens": {"model": "tiny", "data": "corpus"},
    "probe.attention": {"model": "tiny", "data": "corpus"},
    "probe.diff_means": {"model": "tiny", "data": "pairs", "positive": "syco",
                         "negative": "candid"},
    "probe.steer": {"model": "tiny", "directions": "dirs", "layers": [4],
                    "alphas": [-4.0, 0.0, 4.0], "items": "pairs", "good": "g", "bad": "b"},
    "probe.graft": {"recipient": "tiny", "donor": "donor", "data": "corpus",
                    "layers": [8, 9, 10, 11]},
    "analyse.corpus_stats": {"corpus": "corpus", "items": "pairs", "first": "a", "second": "b"},
    "analyse.correlate": {"table": "t", "x": "a", "y": "b"},
    "analyse.influence": {"model": "tiny", "data": "corpus", "target": "pairs"},
}


@pytest.fixture
def minimal() -> dict[str, dict]:
    return MINIMAL


@pytest.fixture
def params(request):
    op = request.module.OP

    def build(**kw):
        return op.params(**{**MINIMAL[op.name], **kw})
    return build


@pytest.fixture
def invalid(params):
    def check(kw: dict, where: str | None = None, match: str | None = None) -> ValidationError:
        with pytest.raises(ValidationError, match=match) as err:
            params(**kw)
        if where is not None:
            assert err.value.errors()[0]["loc"][0] == where
        return err.value
    return check


class FakeCtx:
    def __init__(self, models: dict[str, int] | None = None,
                 data: dict[str, DataStats] | None = None):
        self.models = models or {}
        self.data = data or {}

    def model_params(self, name: str) -> int | None:
        return self.models.get(name)

    def data_stats(self, name: str) -> DataStats | None:
        return self.data.get(name)


@pytest.fixture
def ctx() -> FakeCtx:
    # BYTES_PER_TOKEN is 4: corpus = 10 records x 1,000 tokens, pairs = 100 x 100 tokens.
    return FakeCtx(
        models={"tiny": 1_000_000, "donor": 2_000_000},
        data={"corpus": DataStats(records=10, bytes=40_000),
              "pairs": DataStats(records=100, bytes=40_000),
              "general": DataStats(records=50, bytes=40_000)},
    )


@pytest.fixture
def blind() -> FakeCtx:
    """A context that knows no sizes (hub models, hub data)."""
    return FakeCtx()


@pytest.fixture(scope="session")
def probe_store(tmp_path_factory):
    """One store for the probe ops' end-to-end tests: the tokenizer is trained once."""
    return tmp_path_factory.mktemp("probe-store")


@pytest.fixture(scope="module")
def ray_local():
    """An embedded Ray with 2 CPUs for the multi-worker training tests (Ray Train workers); shut
    down after the module, so later test folders (tests/runtime's session Ray) start their own."""
    import os

    import ray
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    started = not ray.is_initialized()
    if started:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")
    yield
    if started:
        ray.shutdown()
