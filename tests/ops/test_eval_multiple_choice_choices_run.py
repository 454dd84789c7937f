"""eval.multiple_choice with `fields.choices`: options held in one {text, label} field, as
ARC, OpenBookQA and CommonsenseQA store them, with a different number of options per item.
The same BBQ items written both ways score the same; missing options are NaN and never chosen."""
from __future__ import annotations

import json

import numpy as np
import pytest
from op_runner import SHARED, OpRun

ITEMS = 12
SPEC = """\
data:
  corpus: {{text: "{{shared}}/corpora/tinyshakespeare.txt"}}
  flat: {{jsonl: "flat.jsonl"}}
  arc: {{jsonl: "arc.jsonl"}}
models:
  tiny: {{init: gpt2, n_layer: 2, n_embd: 32, n_head: 2, n_positions: 256}}
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 600}}
  flat_mc: {{op: eval.multiple_choice, model: tiny, tokenizer: tok, items: flat, scoring: {scoring}}}
  arc_mc:
    op: eval.multiple_choice
    model: tiny
    tokenizer: tok
    items: arc
    scoring: {scoring}
    fields: {{context: context, question: question, choices: choices, label: answerKey, max_options: 5}}
"""


def write_items(folder, rows, drop_last_option_of=()):
    """BBQ rows as they are (flat) and in ARC's layout; items in `drop_last_option_of` lose
    their third option in the ARC copy (their label is never the dropped one)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "flat.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    arc = []
    for i, r in enumerate(rows):
        texts, keys = [r["ans0"], r["ans1"], r["ans2"]], ["A", "B", "C"]
        if i in drop_last_option_of:
            texts, keys = texts[:2], keys[:2]
        arc.append({"context": r["context"], "question": r["question"],
                    "choices": {"text": texts, "label": keys}, "answerKey": "ABC"[r["label"]]})
    (folder / "arc.jsonl").write_text("".join(json.dumps(r) + "\n" for r in arc))


def bbq_rows(n=ITEMS):
    return [json.loads(line) for line in (SHARED / "bbq" / "Religion.jsonl").read_text().splitlines()[:n]]


@pytest.mark.parametrize("scoring", ["letters", "options"])
def test_choices_layout_scores_like_the_flat_fields(tmp_path, scoring):
    write_items(tmp_path, bbq_rows())
    run = OpRun(tmp_path, SPEC.format(scoring=scoring))
    run.execute()
    flat, arc = run.table("flat_mc"), run.table("arc_mc")
    got = arc[["logp_0", "logp_1", "logp_2"]].to_numpy(dtype=float)
    want = flat[["logp_0", "logp_1", "logp_2"]].to_numpy(dtype=float)
    assert np.abs(got - want).max() < 1e-5
    assert arc[["logp_3", "logp_4"]].isna().all().all()           # 5 columns, 3 options
    assert (arc["chosen"] == flat["chosen"]).all() and (arc["correct"] == flat["correct"]).all()
    assert np.allclose(arc["p_correct"], flat["p_correct"])


def test_items_with_fewer_options_never_choose_a_missing_one(tmp_path):
    rows = [r for r in bbq_rows(40) if r["label"] != 2][:ITEMS]
    write_items(tmp_path, rows, drop_last_option_of=range(0, ITEMS, 2))
    run = OpRun(tmp_path, SPEC.format(scoring="options"))
    run.execute()
    arc = run.table("arc_mc")
    two = arc.iloc[0::2]
    assert two["logp_2"].isna().all() and (two["chosen"] < 2).all()
    logp = two[["logp_0", "logp_1"]].to_numpy(dtype=float)
    soft = np.exp(logp) / np.exp(logp).sum(axis=1, keepdims=True)
    labels = [r["label"] for r in rows][0::2]
    assert np.allclose(two["p_correct"], soft[np.arange(len(two)), labels])
    assert arc.iloc[1::2]["logp_2"].notna().all()


def test_an_answer_key_not_among_the_choices_fails_the_task(tmp_path):
    write_items(tmp_path, bbq_rows(3))
    lines = (tmp_path / "arc.jsonl").read_text().splitlines()
    bad = json.loads(lines[1])
    bad["answerKey"] = "E"
    lines[1] = json.dumps(bad)
    (tmp_path / "arc.jsonl").write_text("\n".join(lines) + "\n")
    run = OpRun(tmp_path, SPEC.format(scoring="letters"))
    with pytest.raises(Exception, match="item 1: answer key 'E'"):
        run.execute()
