"""A stage family runs the same tasks as the copied stages it replaces: one table with an
`upstream` column, the same numbers, and measures filter on the column."""
import pandas as pd

from tests.ops.op_runner import OpRun

UPSTREAM = """\
data:
  corpus: {{text: corpus.txt, split: {{train: 0.8, heldout: 0.2}}}}
models:
  tiny: {{init: gpt2, n_layer: 1, n_embd: 16, n_head: 2, n_positions: 64}}
conditions: {{seed: [1]}}
stages:
  tok: {{op: train.tokenizer, data: corpus.train, vocab_size: 300}}
  a: {{op: train.pretrain, over: [seed], model: tiny, tokenizer: tok, data: corpus.train, steps: 2,
      batch_size: 2, block_size: 32}}
  b: {{op: train.pretrain, over: [seed], model: tiny, tokenizer: tok, data: corpus.train, steps: 3,
      batch_size: 2, block_size: 32, lr: 0.01}}
{evals}"""
FAMILY = """\
  ppl: {op: eval.perplexity, over: [seed], family: {model: [a, b]}, data: "corpus.heldout[:40]", window: 32}
hypotheses:
  H1:
    statement: s
    measure: diff_means(ppl.nll_per_token where upstream == "a", ppl.nll_per_token where upstream == "b")
    expect: "> 0"
    interval: {method: none, unit: seed}
    test: {method: t}
"""
COPIES = """\
  ppl_a: {op: eval.perplexity, over: [seed], model: a, data: "corpus.heldout[:40]", window: 32}
  ppl_b: {op: eval.perplexity, over: [seed], model: b, data: "corpus.heldout[:40]", window: 32}
"""


CORPUS = "".join(f"Line {i}: the {'cat' if i % 3 else 'dog'} sat on mat number {i * 7 % 13}.\n" for i in range(400))


def test_family_gives_the_numbers_of_the_copied_stages(tmp_path):
    for folder in ("family", "copies"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "corpus.txt").write_text(CORPUS)
    family = OpRun(tmp_path / "family", UPSTREAM.format(evals=FAMILY))
    copies = OpRun(tmp_path / "copies", UPSTREAM.format(evals=COPIES))
    assert [t.id for t in family.tasks("ppl")] == [
        "ppl/upstream=a/seed=1", "ppl/upstream=b/seed=1"]
    # The upstream tasks are the same tasks in both specs (same keys).
    assert [t.key for t in family.tasks("a")] == [t.key for t in copies.tasks("a")]
    family.execute()
    copies.execute()
    table = family.table("ppl")
    assert set(table["upstream"]) == {"a", "b"}
    for member in ("a", "b"):
        mine = table[table["upstream"] == member].drop(columns="upstream").reset_index(drop=True)
        theirs = copies.table(f"ppl_{member}").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine[theirs.columns], theirs)
    assert not table[table["upstream"] == "a"]["nll_per_token"].equals(
        table[table["upstream"] == "b"]["nll_per_token"].reset_index(drop=True))
