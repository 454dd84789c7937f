"""eval.multiple_choice end to end: BBQ items through a tiny GPT-2 from config and a BPE
tokenizer trained on Shakespeare; every option's log-prob checked against the whole
prompt + answer tokenized at once and scored one sequence at a time."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from op_runner import SHARED, OpRun

from specc.ops.eval._choices import render

ITEMS = 40   # the first 20 BBQ Religion contexts, each ambiguous and disambiguated
SPEC = """\
data:
  corpus: {{text: "{{shared}}/corpora/tinyshakespeare.txt"}}
  bbq: {{jsonl: "bbq.jsonl"}}
models:
  tiny: {{init: gpt2, n_layer: 2, n_embd: 32, n_head: 2, n_positions: 256}}
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 600}}
  mc:
    op: eval.multiple_choice
    model: tiny
    tokenizer: tok
    items: bbq
{extra}"""


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    """One trained tokenizer for the module: every spec below reuses its artifact."""
    return tmp_path_factory.mktemp("store")


def scored(tmp_path, shared_store, extra: str = ""):
    lines = (SHARED / "bbq" / "Religion.jsonl").read_text().splitlines()[:ITEMS]
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "bbq.jsonl").write_text("\n".join(lines) + "\n")
    run = OpRun(tmp_path, SPEC.format(extra=extra))
    run.store_root = shared_store
    run.execute()
    return run


def reference(run, row, template: str, scoring: str, bos: bool, mean: bool = False):
    """Each option's log-prob: prompt + answer tokenized as one text, one full forward each."""
    from transformers import AutoTokenizer
    from specc.runtime.models import build_model
    tok = AutoTokenizer.from_pretrained(str(run.folder("tok") / "tokenizer"))
    lm = build_model(run.plan.spec.models["tiny"], len(tok), seed=0).eval()
    options = [row["ans0"], row["ans1"], row["ans2"]]
    prompt = render(template, row["context"], row["question"], options)
    core = prompt.rstrip()
    lead = prompt[len(core):] or " "
    head = [tok.bos_token_id] if bos else []
    start = len(head) + len(tok(core)["input_ids"])
    out = []
    for j, option in enumerate(options):
        answer = "ABC"[j] if scoring == "letters" else option
        ids = head + tok(core + lead + answer)["input_ids"]
        with torch.inference_mode():
            logp = torch.log_softmax(lm(input_ids=torch.tensor([ids])).logits[0], -1)
        values = [logp[i - 1, ids[i]].item() for i in range(start, len(ids))]
        out.append(np.mean(values) if mean else np.sum(values))
    return np.array(out)


def test_one_row_per_item_with_the_bbq_metadata(tmp_path, shared_store):
    run = scored(tmp_path, shared_store)
    table = run.table("mc")
    assert len(table) == ITEMS and list(table["item"]) == list(range(ITEMS))
    assert table["chosen"].between(0, 2).all()
    assert (table["correct"] == (table["chosen"] == table["label"])).all()
    assert table["p_correct"].between(0, 1, inclusive="neither").all()
    logp = table[["logp_0", "logp_1", "logp_2"]].to_numpy()
    assert (table["chosen"] == logp.argmax(axis=1)).all()
    soft = np.exp(logp) / np.exp(logp).sum(axis=1, keepdims=True)
    assert np.allclose(table["p_correct"], soft[np.arange(ITEMS), table["label"]])
    # BBQ's metadata survives Parquet, nested structs included, for a bias score.
    assert set(table["context_condition"]) == {"ambig", "disambig"}
    assert set(table["question_polarity"]) <= {"neg", "nonneg"}
    assert list(table["additional_metadata"][0]["stereotyped_groups"]) == ["Muslim"]
    assert list(table["answer_info"][0]["ans2"]) == ["Muslim", "Muslim"]
    facts = run.manifest("mc")["facts"]
    assert facts["scoring"] == "letters" and facts["reduction"] == "sum" and facts["bos"] == "auto"
    assert facts["template"].endswith("{options}\nAnswer:") and set(facts["letter_tokens"]) == {"A", "B", "C"}
    # The letters share one prompt: its last position is projected once per item, not 3 times.
    assert ITEMS <= facts["projected_positions"] < facts["scored_tokens"]
    split = [letter for letter, n in facts["letter_tokens"].items() if n > 1]
    logs = " ".join(run.manifest("mc")["logs"])
    assert ("not single tokens" in logs) == bool(split)   # with this tokenizer " A" is two


@pytest.mark.parametrize("scoring,template,reduction,bos", [
    ("letters", None, "sum", "auto"),
    ("options", None, "sum", "auto"),
    ("options", None, "mean", "never"),
    # A shared head ending in whitespace becomes the cached prefix.
    ("letters", "Answer the question.\\n{context}\\n{question}\\n{options}\\nAnswer: ", "sum", "auto"),
])
def test_logps_equal_the_whole_text_reference(tmp_path, shared_store, scoring, template, reduction, bos):
    extra = f"    scoring: {scoring}\n    reduction: {reduction}\n    bos: {bos}\n"
    if template:
        extra += f'    template: "{template}"\n'
    run = scored(tmp_path, shared_store, extra)
    table = run.table("mc")
    used = run.manifest("mc")["facts"]["template"]
    for i in (0, 1, 7):
        row = table.iloc[i]
        want = reference(run, row, used, scoring, bos=bos == "auto", mean=reduction == "mean")
        got = row[["logp_0", "logp_1", "logp_2"]].to_numpy(dtype=float)
        assert np.abs(got - want).max() < 1e-4, (i, got, want)


def test_label_outside_the_options_is_rejected(tmp_path, shared_store):
    rows = [json.loads(line) for line in (SHARED / "bbq" / "Religion.jsonl").read_text().splitlines()[:2]]
    rows[1]["label"] = 3
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "bbq.jsonl").write_text("\n".join(map(json.dumps, rows)) + "\n")
    run = OpRun(tmp_path, SPEC.format(extra=""))
    run.store_root = shared_store
    with pytest.raises(Exception, match="item 1: label 3"):  # the task fails with the reason
        run.execute()
