"""eval.generate under steering: a probe.diff_means direction added to a block's output
while generating. The op's text equals transformers' generate with the same edit made by
a hand-written hook; α = 0 is exactly the unsteered text."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from op_runner import SHARED, OpRun

SPEC = """\
data:
  corpus: {{text: "{{shared}}/corpora/tinyshakespeare.txt"}}
  pairs: {{jsonl: "pairs.jsonl"}}
models:
  tiny: {{init: gpt2, n_layer: 2, n_embd: 32, n_head: 2, n_positions: 128}}
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 600}}
  dirs:
    op: probe.diff_means
    model: tiny
    tokenizer: tok
    data: pairs
    positive: sentence_good
    negative: sentence_bad
  gen:
    op: eval.generate
    model: tiny
    tokenizer: tok
    items: pairs
    prompt: "{{sentence_good}}"
    max_new_tokens: 8
    batch_tokens: 1            # one row per batch: no padding, as the reference below
{steer}"""


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    return tmp_path_factory.mktemp("store")


def generated(tmp_path, shared_store, steer: str = ""):
    lines = (SHARED / "blimp" / "anaphor_gender_agreement.jsonl").read_text().splitlines()[:6]
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pairs.jsonl").write_text("\n".join(lines) + "\n")
    run = OpRun(tmp_path, SPEC.format(steer=steer))
    run.store_root = shared_store
    run.execute()
    return run


def by_hand(run, alpha: float, layer: int) -> list[str]:
    """Plain transformers generate, one prompt at a time, h += α·d on block `layer`'s output."""
    from transformers import AutoTokenizer

    from specc.runtime.models import build_model
    tok = AutoTokenizer.from_pretrained(str(run.folder("tok") / "tokenizer"))
    lm = build_model(run.plan.spec.models["tiny"], len(tok), seed=0).eval()
    dirs = run.table("dirs")
    d = torch.tensor(np.asarray(dirs[dirs["layer"] == layer]["direction"].iloc[0], dtype=np.float32))

    def hook(module, args, output):
        h = output[0] if isinstance(output, tuple) else output
        h = h + alpha * d
        return (h, *output[1:]) if isinstance(output, tuple) else h

    handle = lm.transformer.h[layer].register_forward_hook(hook)
    texts = []
    try:
        with torch.inference_mode():
            for prompt in run.table("gen")["prompt"]:
                ids = [tok.bos_token_id] + tok(prompt)["input_ids"]
                out = lm.generate(torch.tensor([ids]), max_new_tokens=8, do_sample=False,
                                  pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
                new = out[0, len(ids):].tolist()
                if tok.eos_token_id in new:
                    new = new[:new.index(tok.eos_token_id)]
                texts.append(tok.decode(new, skip_special_tokens=True))
    finally:
        handle.remove()
    return texts


STEER = "    steer: {{directions: dirs, layers: [1], alpha: {alpha}}}\n"


def test_steered_text_equals_a_hand_hooked_generate(tmp_path, shared_store):
    run = generated(tmp_path, shared_store, STEER.format(alpha=8.0))
    assert list(run.table("gen")["text"]) == by_hand(run, 8.0, 1)
    facts = run.manifest("gen")["facts"]["steer"]
    assert facts["layers"] == [1] and facts["alpha"] == 8.0 and facts["mode"] == "add"
    assert abs(facts["direction_norms"]["1"] - 1.0) < 1e-5      # diff_means normalises


def test_steering_changes_text_and_alpha_zero_changes_nothing(tmp_path, shared_store):
    plain = generated(tmp_path / "plain", shared_store).table("gen")["text"]
    zero = generated(tmp_path / "zero", shared_store, STEER.format(alpha=0.0)).table("gen")["text"]
    strong = generated(tmp_path / "strong", shared_store, STEER.format(alpha=8.0)).table("gen")["text"]
    assert list(zero) == list(plain)
    assert sum(a != b for a, b in zip(strong, plain)) >= 1
