"""analyse.influence: each record's score equals a brute-force per-example gradient dot
product with the target set's mean gradient; the top share is marked dropped."""
from __future__ import annotations

import pytest
from finetune_runs import facts, finetune_run, starting_model

STAGES = """\
  scores:
    op: analyse.influence
    model: tiny
    tokenizer: tok
    data: "prefs[:24]"
    text_field: sentence_good
    target: "prefs[:16]"
    target_fields: {prompt: one_prefix_prefix, completion: one_prefix_word_bad}
    last_blocks: 1
    max_length: 32
    drop_top: 0.25
    seed: 3
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = finetune_run(tmp_path_factory.mktemp("influence"), STAGES)
    run.execute()
    return run


def _brute_force(run):
    """Per-example gradients with .backward() into .grad over the last block's weights, by
    name; the target's mean gradient as the gradient of the mean of the items' losses."""
    import json

    import torch
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(run.folder("tok") / "tokenizer"))
    lm = starting_model(run, "scores").eval()
    last = lm.config.n_layer - 1
    named = {n: q for n, q in lm.named_parameters() if n.startswith(f"transformer.h.{last}.")}
    rows = [json.loads(line) for line in (run.root / "prefs.jsonl").read_text().splitlines()]

    def grad_of(loss):
        lm.zero_grad()
        loss.backward()
        return torch.cat([named[n].grad.reshape(-1).clone() for n in sorted(named)])

    def nll(ids, start):
        x = torch.tensor([ids])
        logits = lm(input_ids=x).logits[0]
        return torch.nn.functional.cross_entropy(logits[start - 1:-1], x[0, start:])

    losses = []
    for r in rows[:16]:
        prompt, reply = r["one_prefix_prefix"], " " + r["one_prefix_word_bad"]
        losses.append(nll(tok(prompt + reply)["input_ids"][:32], len(tok(prompt)["input_ids"])))
    target = grad_of(torch.stack(losses).mean())
    return [float(grad_of(nll(tok(r["sentence_good"])["input_ids"][:32], 1)) @ target) for r in rows[:24]]


def test_scores_equal_a_brute_force_per_example_gradient(run):
    table = run.table("scores")
    assert list(table["item"]) == list(range(24))
    expected = _brute_force(run)
    assert table["influence"].tolist() == pytest.approx(expected, rel=1e-4, abs=1e-9)
    assert any(abs(v) > 1e-6 for v in expected)   # not vacuously zero


def test_the_top_quarter_is_dropped_and_ranks_follow_the_scores(run):
    table = run.table("scores")
    assert table["keep"].sum() == 18                       # 24 - round(0.25 * 24)
    dropped = table[table["keep"] == 0]
    assert dropped["influence"].min() >= table[table["keep"] == 1]["influence"].max()
    assert sorted(table["rank"]) == list(range(1, 25))
    assert table.sort_values("rank")["influence"].is_monotonic_decreasing
    assert "sentence_good" in table and "UID" in table    # the records' columns are carried
    f = facts(run, "scores")
    assert f["dropped"] == 6 and f["target_items"] == 16 and f["records"] == 24


def test_a_target_field_that_does_not_exist_is_a_compile_error(tmp_path):
    from specc.compiler.errors import SpecErrors
    with pytest.raises(SpecErrors, match="one_prefix_word_worse"):
        finetune_run(tmp_path, STAGES.replace("completion: one_prefix_word_bad", "completion: one_prefix_word_worse"))


def test_more_blocks_than_the_model_has_is_an_error(tmp_path):
    run = finetune_run(tmp_path, STAGES.replace("last_blocks: 1", "last_blocks: 2"))
    with pytest.raises(Exception, match="only 1 decoder blocks"):
        run.execute()


def test_a_table_stage_as_target_scores_as_its_rows_do(tmp_path):
    # `again` reads its target from the `scores` table (whose rows carry prefs[:24]'s fields);
    # `direct` reads the same 24 records from the data source: the scores must agree.
    common = """\
    op: analyse.influence
    model: tiny
    tokenizer: tok
    data: "prefs[:12]"
    text_field: sentence_good
    target_fields: {prompt: one_prefix_prefix, completion: one_prefix_word_bad}
    max_length: 32
"""
    run = finetune_run(tmp_path, STAGES.replace('"prefs[:16]"', '"prefs[:24]"')
                       + "  again:\n" + common + "    target: scores\n"
                       + "  direct:\n" + common + '    target: "prefs[:24]"\n')
    run.execute()
    assert "scores" in run.plan.stages["again"].upstream
    assert facts(run, "again")["target_items"] == 24
    assert run.table("again")["influence"].tolist() == pytest.approx(run.table("direct")["influence"].tolist(),
                                                                     rel=1e-6, abs=1e-12)
