"""eval.generate end to end: BBQ prompts through a tiny GPT-2 from config and a BPE
tokenizer trained on Shakespeare, via the real payload, context, worker and store."""
from __future__ import annotations

import pytest
from op_runner import SHARED, OpRun

ITEMS = 6
SPEC = """\
data:
  corpus: {{text: "{{shared}}/corpora/tinyshakespeare.txt"}}
  bbq: {{jsonl: "bbq.jsonl"}}
models:
  tiny: {{init: gpt2, n_layer: 2, n_embd: 32, n_head: 2, n_positions: {positions}}}
stages:
  tok: {{op: train.tokenizer, data: corpus, vocab_size: 600}}
  gen:
    op: eval.generate
    model: tiny
    tokenizer: tok
    items: bbq
    prompt: "{{context}}\\n{{question}}\\nAnswer:"
    max_new_tokens: 12
{extra}"""


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    """One trained tokenizer for the module: every spec below reuses its artifact."""
    return tmp_path_factory.mktemp("store")


def generated(tmp_path, shared_store, extra: str = "", positions: int = 256, execute: bool = True):
    lines = (SHARED / "bbq" / "Religion.jsonl").read_text().splitlines()[:ITEMS]
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "bbq.jsonl").write_text("\n".join(lines) + "\n")
    run = OpRun(tmp_path, SPEC.format(extra=extra, positions=positions))
    run.store_root = shared_store
    if execute:
        run.execute()
    return run


def test_one_row_per_item_and_sample_with_the_items_columns(tmp_path, shared_store):
    run = generated(tmp_path, shared_store, "    decoding: sample\n    samples: 3\n    temperature: 0.8\n")
    table = run.table("gen")
    assert len(table) == ITEMS * 3
    assert list(table["item"]) == [i for i in range(ITEMS) for _ in range(3)]
    assert list(table["sample"]) == [0, 1, 2] * ITEMS
    assert table["prompt"][0] == f"{table['context'][0]}\n{table['question'][0]}\nAnswer:"
    assert set(table["finish_reason"]) <= {"eos", "length"}
    assert ((table["finish_reason"] == "length") == (table["new_tokens"] == 12)).all()
    assert (table["prompt_tokens"] > 10).all() and (table["truncated_tokens"] == 0).all()
    assert {"context_condition", "label", "ans0"} <= set(table.columns)     # carried
    facts = run.manifest("gen")["facts"]
    assert facts["decoding"] == "sample" and facts["samples"] == 3 and facts["seed"] == 0
    assert facts["rows"] == ITEMS * 3 and facts["new_tokens"] == int(table["new_tokens"].sum())
    assert sum(facts["finish_reasons"].values()) == ITEMS * 3


def test_same_spec_same_text_other_seed_other_text(tmp_path, shared_store):
    extra = "    decoding: sample\n    samples: 2\n    seed: {seed}\n"
    a = generated(tmp_path / "a", shared_store, extra.format(seed=5)).table("gen")
    b = generated(tmp_path / "b", shared_store, extra.format(seed=5) + "    batch_tokens: 64\n")
    c = generated(tmp_path / "c", shared_store, extra.format(seed=6)).table("gen")
    assert list(a["text"]) == list(b.table("gen")["text"])      # batching changes nothing
    assert b.manifest("gen")["facts"]["batches"] == ITEMS * 2   # 64 tokens: one row a batch
    assert sum(x != y for x, y in zip(a["text"], c["text"])) >= ITEMS


def test_a_prompt_longer_than_the_context_names_the_item(tmp_path, shared_store):
    run = generated(tmp_path, shared_store, positions=64, execute=False)
    with pytest.raises(Exception, match=r"item \d+: its prompt is \d+ tokens, but the model's "
                                        r"context of 64 tokens leaves 52 .*truncate: left"):
        run.execute()


def test_truncate_left_keeps_the_last_tokens_and_records_the_cut(tmp_path, shared_store):
    run = generated(tmp_path, shared_store, "    truncate: left\n", positions=64)
    table = run.table("gen")
    assert (table["prompt_tokens"] <= 52).all()
    cut = table["truncated_tokens"]
    assert (cut > 0).any()
    assert ((cut > 0) == (table["prompt_tokens"] == 52)).all()
    facts = run.manifest("gen")["facts"]
    assert facts["truncated_items"] == int((cut > 0).sum())
    assert any("truncate: left cut" in line for line in run.manifest("gen")["logs"])


def test_chat_template_and_system_prompt_are_applied_and_recorded(tmp_path, shared_store):
    template = ("{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\\n{% endfor %}"
                "[assistant]")
    extra = f'    chat_template: "{template}"\n    system: Answer briefly.\n'
    plain = generated(tmp_path / "plain", shared_store).table("gen")
    run = generated(tmp_path / "chat", shared_store, extra)
    table = run.table("gen")
    facts = run.manifest("gen")["facts"]
    assert facts["chat_template"] == "spec" and facts["system"] == "Answer briefly."
    assert facts["bos"] == "from the chat template"
    assert (table["prompt"] == plain["prompt"]).all()                 # the user's prompt
    assert (table["prompt_tokens"] > plain["prompt_tokens"]).all()    # more text around it


CHECKPOINTS = """\
data:
  corpus: {text: "{shared}/corpora/tinyshakespeare.txt"}
  lines: {jsonl: "lines.jsonl"}
models:
  tiny: {init: gpt2, n_layer: 1, n_embd: 32, n_head: 2, n_positions: 64}
stages:
  tok: {op: train.tokenizer, data: corpus, vocab_size: 300}
  pretrain: {op: train.pretrain, model: tiny, tokenizer: tok, data: corpus, steps: 4,
             batch_size: 2, block_size: 32, warmup_steps: 1, lr: 0.05, checkpoint_every: 2}
  gen:
    op: eval.generate
    over: [checkpoint]
    model: pretrain
    items: lines
    prompt: "{text}"
    max_new_tokens: 6
"""


def test_one_task_per_checkpoint_of_a_model_stage(tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "lines.jsonl").write_text('{"text": "First Citizen:"}\n{"text": "ROMEO:"}\n')
    run = OpRun(tmp_path, CHECKPOINTS)
    assert [t.id for t in run.tasks("gen")] == ["gen/checkpoint=2", "gen/checkpoint=4"]
    run.execute()
    table = run.table("gen")
    assert sorted(set(table["checkpoint"])) == [2, 4] and len(table) == 4
    early, late = (table[table["checkpoint"] == c]["text"].tolist() for c in (2, 4))
    assert early != late        # lr 0.05: two more steps change the greedy text
