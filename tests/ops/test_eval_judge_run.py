"""eval.judge end to end: two tiny judges (an axis) score a generate stage's responses; the
expected score equals probabilities computed by hand from one full forward pass per label."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from op_runner import SHARED, OpRun

ITEMS = 4
TEMPLATE = "Question: {question}\\nAnswer: {response}\\nHow good is the answer, from 1 to 5? Score:"
SPEC = """\
data:
  corpus: {{text: "{{shared}}/corpora/tinyshakespeare.txt"}}
  bbq: {{jsonl: "bbq.jsonl"}}
models:
  tiny: {{init: gpt2, n_layer: 2, n_embd: 32, n_head: 2, n_positions: 256}}
  judge_a: {{init: gpt2, n_layer: 1, n_embd: 32, n_head: 2, n_positions: 512}}
  judge_b: {{init: gpt2, n_layer: 2, n_embd: 48, n_head: 2, n_positions: 512}}
conditions: {{judge: [judge_a, judge_b]}}
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 600}}
  gen:
    op: eval.generate
    model: tiny
    tokenizer: tok
    items: bbq
    prompt: "{{context}}\\n{{question}}\\nAnswer:"
    decoding: sample
    samples: 2
    max_new_tokens: 10
  rate:
    op: eval.judge
    over: [judge]
    judge: ${{judge}}
    tokenizer: tok
    responses: gen
    template: "{template}"
{extra}"""


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    return tmp_path_factory.mktemp("store")


def judged(tmp_path, shared_store, extra="    scale: ['1', '2', '3', '4', '5']\n"):
    lines = (SHARED / "bbq" / "Religion.jsonl").read_text().splitlines()[:ITEMS]
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "bbq.jsonl").write_text("\n".join(lines) + "\n")
    run = OpRun(tmp_path, SPEC.format(template=TEMPLATE, extra=extra))
    run.store_root = shared_store
    run.execute()
    return run


def by_hand(run, judge: str, text: str, labels: list[str], values: list[float],
            bos: bool = True, lead: str = " "):
    """p(label) over the scale from the whole text + label, tokenized at once, one
    forward pass each, BOS first (plain rubrics); the expected score from those."""
    from transformers import AutoTokenizer

    from specc.runtime.models import build_model
    tok = AutoTokenizer.from_pretrained(str(run.folder("tok") / "tokenizer"))
    lm = build_model(run.plan.spec.models[judge], len(tok), seed=0).eval()
    head = [tok.bos_token_id] if bos else []
    start = len(head) + len(tok(text)["input_ids"])
    logps = []
    for label in labels:
        ids = head + tok(text + lead + label)["input_ids"]
        with torch.inference_mode():
            logp = torch.log_softmax(lm(input_ids=torch.tensor([ids])).logits[0].double(), -1)
        logps.append(sum(logp[i - 1, ids[i]].item() for i in range(start, len(ids))))
    p = np.exp(np.array(logps) - max(logps))
    p /= p.sum()
    return p, float(p @ np.array(values))


def test_expected_score_equals_hand_computed_probabilities(tmp_path, shared_store):
    run = judged(tmp_path, shared_store)
    table = run.table("rate")
    assert len(table) == 2 * ITEMS * 2 and set(table["judge"]) == {"judge_a", "judge_b"}
    labels = ["1", "2", "3", "4", "5"]
    for i in (0, 3, 2 * ITEMS + 1):   # rows of both judges
        row = table.iloc[i]
        text = TEMPLATE.replace("\\n", "\n").format(question=row["question"], response=row["text"])
        p, expected = by_hand(run, row["judge"], text, labels, [1, 2, 3, 4, 5])
        got = row[[f"p_{j}" for j in range(5)]].to_numpy(dtype=float)
        assert np.abs(got - p).max() < 1e-5
        assert abs(row["score"] - expected) < 1e-5
        assert row["score_argmax"] == int(np.argmax(p)) + 1 and row["score_label"] == labels[np.argmax(p)]
    # the response table's columns come along: measures can group by item, sample, BBQ fields
    assert {"item", "sample", "text", "prompt", "context_condition"} <= set(table.columns)


def test_judge_identity_template_and_scale_are_recorded(tmp_path, shared_store):
    run = judged(tmp_path, shared_store)
    facts = run.manifest("rate")["facts"]
    assert facts["judge"] == "judge_a"
    assert facts["judge_identity"]["spec_model"]["n_layer"] == 1
    assert facts["template"] == TEMPLATE.replace("\\n", "\n")
    assert facts["scale"] == ["1", "2", "3", "4", "5"] and facts["values"] == [1, 2, 3, 4, 5]
    # Under this Shakespeare tokenizer " 1" is two tokens: summed, and the log says so.
    split = [k for k, n in facts["label_tokens"].items() if n != 1]
    assert split
    assert any("not single tokens" in line and "sum of its tokens" in line
               for line in run.manifest("rate")["logs"])


def test_word_labels_with_values(tmp_path, shared_store):
    run = judged(tmp_path, shared_store, "    scale: [good, bad]\n    values: [1, 0]\n")
    table = run.table("rate")
    row = table.iloc[1]
    text = TEMPLATE.replace("\\n", "\n").format(question=row["question"], response=row["text"])
    p, expected = by_hand(run, row["judge"], text, ["good", "bad"], [1, 0])
    assert abs(row["score"] - expected) < 1e-5 and abs(row["p_0"] - p[0]) < 1e-5
    assert np.allclose(table["score"], table["p_0"])            # values 1 / 0: p(good)


CHAT = ("{% for m in messages %}<|{{ m['role'] }}|>\\n{{ m['content'] }}\\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>\\n{% endif %}")


def test_chat_judge_label_follows_the_opened_turn(tmp_path, shared_store):
    extra = (f"    scale: ['1', '2', '3']\n    chat_template: \"{CHAT}\"\n"
             "    system: You grade answers.\n")
    run = judged(tmp_path, shared_store, extra)
    row = run.table("rate").iloc[2]
    user = TEMPLATE.replace("\\n", "\n").format(question=row["question"], response=row["text"])
    text = (f"<|system|>\nYou grade answers.\n<|user|>\n{user}\n<|assistant|>\n")
    p, expected = by_hand(run, row["judge"], text, ["1", "2", "3"], [1, 2, 3], bos=False, lead="")
    assert abs(row["score"] - expected) < 1e-5 and abs(row["p_2"] - p[2]) < 1e-5
    facts = run.manifest("rate")["facts"]
    assert facts["chat_template"] == "spec" and facts["system"] == "You grade answers."
