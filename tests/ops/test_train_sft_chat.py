"""train.sft with a chat template: each pair a one-turn conversation, split where the reply starts."""
from __future__ import annotations

import pytest
from finetune_runs import SFT_FIELDS, facts, finetune_run, history
from pydantic import ValidationError

from specc.ops.train import sft

TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


class Ctx:
    def __init__(self):
        self.facts = {}

    def record(self, **kw):
        self.facts.update(kw)


def test_the_prompt_is_the_conversation_up_to_the_assistant_turn_and_the_reply_the_rest():
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]")))
    p = sft.Params(model="m", data="d", lr=1e-5, steps=1, chat_template=TEMPLATE, system="Be brief.",
                   fields={"prompt": "q", "completion": "a"})
    ctx = Ctx()
    rows = sft._chat_rows(ctx, p, tok, [("Hi?", "Hello.")])
    assert rows["prompt"] == ["<|system|>\nBe brief.\n<|user|>\nHi?\n<|assistant|>\n"]
    assert rows["completion"] == ["Hello.\n"]
    assert ctx.facts["chat_template"] == "spec" and ctx.facts["system"] == "Be brief."


def test_a_chat_template_needs_prompt_completion_pairs_and_a_system_prompt_needs_a_template():
    with pytest.raises(ValidationError, match="chat_template needs"):
        sft.Params(model="m", data="d", lr=1e-5, steps=1, chat_template="tokenizer",
                   fields={"prompt": None, "completion": "text"})
    with pytest.raises(ValidationError, match="system prompt needs a chat_template"):
        sft.Params(model="m", data="d", lr=1e-5, steps=1, system="Be brief.")


def test_trains_on_conversations(tmp_path):
    template = TEMPLATE.replace("\n", "\\n")
    run = finetune_run(tmp_path, f"""\
  chat:
    op: train.sft
{{common}}    data: prefs
    fields: {SFT_FIELDS}
    steps: 2
    chat_template: "{template}"
""")
    run.execute()
    f = facts(run, "chat")
    assert f["chat_template"] == "spec" and f["join"].startswith("chat template")
    assert history(run, "chat")["step"].tolist() == [1, 2]
