"""probe.attention on a tiny model: a prompt's share of the attention of the word that answers it."""
from __future__ import annotations

import pytest
from finetune_runs import finetune_run

from specc.compiler.errors import SpecErrors

STAGE = """\
  attn:
    op: probe.attention
    model: tiny
    tokenizer: tok
    data: "prefs[:10]"
    context: one_prefix_prefix
    text: {text}
    layers: all
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = finetune_run(tmp_path_factory.mktemp("attention"), STAGE.format(text="one_prefix_word_good"))
    run.execute()
    return run


def test_one_row_per_item_and_layer_with_the_items_columns(run):
    table = run.table("attn")
    assert len(table) == 10 and sorted(table["layer"].unique()) == [0]   # `tiny` has one block
    assert {"one_prefix_prefix", "sentence_good"} <= set(table.columns)  # carried from the items
    assert (table["context_tokens"] < table["tokens"]).all() and (table["context_tokens"] > 0).all()


def test_shares_are_probabilities_and_entropy_is_bounded_by_the_keys(run):
    import numpy as np
    table = run.table("attn")
    for col in ("context_share", "first_share"):
        assert table[col].between(0, 1).all(), col
    assert (table["entropy"] >= 0).all() and (table["entropy"] <= np.log(table["tokens"]) + 1e-6).all()
    # a one-word answer after a prompt of several tokens attends mostly to the prompt
    assert table["context_share"].mean() > 0.5


def test_a_text_field_the_data_lacks_is_a_compile_error(tmp_path):
    with pytest.raises(SpecErrors, match="one_prefix_word"):
        finetune_run(tmp_path, STAGE.format(text="one_prefix_word"))
