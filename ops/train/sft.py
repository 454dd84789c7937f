"""Supervised fine-tuning (TRL `SFTTrainer`) on prompt/completion records.

Trains `model` to produce each record's completion given its prompt; by default
only completion tokens carry loss (`completion_only_loss`), so the model learns
to answer rather than to imitate prompts. With `fields.prompt: null` the records
are plain text and every token is trained on.

Prompt and completion are joined with one space (a leading space is added to a
completion that lacks one), as eval.logprob_pairs does with `separator: " "`. TRL
appends EOS to every completion (or text). With `chat_template` (the tokenizer's own,
or a Jinja template written in the spec) each pair is a one-turn conversation instead:
the prompt is rendered as eval.generate renders it with the same template (up to the
opened assistant turn) and the completion is the reply with the template's end-of-turn
tokens, so a chat model is trained in the format it is tested in. A plain-text file as `data` (with
`fields.prompt: null`) is cut into examples of `max_length` tokens.

Replay examples (`replay.ratio` of all rows) are mixed into the dataset as plain
text, trained on every token, and dealt out so that every micro-batch holds its share
(batch 16 at ratio 0.25: 4 replay rows in each; train/_replay.py). `history.parquet` has one row per optimiser step:
step, loss, lr, grad_norm, mean_token_accuracy, entropy, num_tokens.

The fine-tuning params (lr, steps/epochs, replay, LoRA, precision ...) are the
same in train.sft, train.dpo and train.orpo (see train/_trl.py for how they run).
Cost: 6·N·D full, ≈4·N·D with LoRA.

    sft:
      op: train.sft
      model: pretrain
      data: instructions.train
      fields: {prompt: question, completion: answer}
      lr: 2.0e-5
      epochs: 1
      lora: {r: 16}
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .._common import DATA_COLUMN, differs_from
from .._op import Op, OpParams, TableOrDataRef
from ..eval._prompting import ChatTemplate, System, check_system
from ._finetune import FinetuneParams, finetune_axes, finetune_cost


class SftFields(OpParams):
    prompt: Annotated[str | None, DATA_COLUMN] = Field(default="prompt", min_length=1, description=(
        "Field holding the prompt. None = records are plain text in `completion` "
        "(language modelling on every token)."))
    completion: Annotated[str, DATA_COLUMN, differs_from("prompt")] = Field(
        default="completion", min_length=1, validate_default=True, description=(
            "Field holding the target completion (or the whole text when prompt is None)."))


class Params(FinetuneParams):
    data: TableOrDataRef = Field(description=(
        "Fine-tuning records: a data source or `source.split`, or a table stage whose rows are "
        "the records (e.g. analyse.influence's, with `keep_column: keep`)."))
    keep_column: Annotated[str | None, DATA_COLUMN] = Field(default=None, min_length=1, description=(
        "Train only on the records whose value in this column is true / nonzero, e.g. `keep` of "
        "an analyse.influence table: the records left after dropping the most influential. "
        "None (default) trains on every record."))
    fields: SftFields = Field(default_factory=SftFields, description=(
        "Which record fields hold the prompt and the completion."))
    completion_only_loss: bool = Field(default=True, description=(
        "Compute the loss on completion tokens only (TRL's default for prompt/"
        "completion data). False also trains on the prompt. Ignored for plain text."))
    chat_template: ChatTemplate = None
    system: System = None

    @model_validator(mode="after")
    def _chat_needs_pairs(self) -> "Params":
        check_system(self.system, self.chat_template)
        if self.keep_column is not None and self.keep_column in (self.fields.prompt, self.fields.completion):
            raise ValueError(f"keep_column {self.keep_column!r} is also a text field; name the 0/1 column")
        if self.chat_template is not None and self.fields.prompt is None:
            raise ValueError("chat_template needs prompt/completion records (fields.prompt), not plain text")
        return self


def _rows(ctx, p: Params, tok) -> dict[str, list[str]]:
    """prompt/completion columns, or one text column when `fields.prompt` is None."""
    from ._trl import column, join, text_chunks
    if p.fields.prompt is None and p.keep_column is None and _is_text_file(ctx, p.data):
        chunks = text_chunks(ctx, p.data, p.fields.completion, tok, p.max_length)
        return {"text": [tok.decode(c) for c in chunks]}
    ds = _kept(ctx, p)
    if p.fields.prompt is None:
        texts = column(ds, p.fields.completion, p.data)
        return {"text": [str(t) for t in texts if t is not None]}
    pairs = [(str(a), str(b)) for a, b in zip(column(ds, p.fields.prompt, p.data),
                                              column(ds, p.fields.completion, p.data))
             if a is not None and b is not None]
    if p.chat_template is not None:
        return _chat_rows(ctx, p, tok, pairs)
    ctx.record(join="prompt + ' ' + completion (a leading space added when missing)")
    return {"prompt": [a for a, _ in pairs], "completion": [join(a, b) for a, b in pairs]}


def _is_text_file(ctx, data: str) -> bool:
    from specc.datarefs import ref_source
    return ref_source(data) in ctx.payload.data and ctx.data_kind(data) == "text"


def _kept(ctx, p: Params):
    """The records of `data` (a source or a table stage), only those `keep_column` keeps."""
    from ._trl import column, records
    ds = records(ctx, p.data)
    if p.keep_column is None:
        return ds
    keep = [bool(v) for v in column(ds, p.keep_column, p.data)]
    ctx.record(kept={"column": p.keep_column, "kept": sum(keep), "of": len(keep)})
    return ds.select([i for i, k in enumerate(keep) if k])


def _chat_rows(ctx, p: Params, tok, pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Each pair as a one-turn conversation: the prompt is the conversation up to the opened
    assistant turn (what eval.generate feeds with the same chat_template), the completion the
    rest of the rendered conversation (the reply and the template's end-of-turn tokens)."""
    from ..eval._prompting import TOKENIZER_TEMPLATE, chat_text, template_record
    template = None if p.chat_template == TOKENIZER_TEMPLATE else p.chat_template
    head = [{"role": "system", "content": p.system}] if p.system is not None else []
    rows: dict[str, list[str]] = {"prompt": [], "completion": []}
    for prompt, reply in pairs:
        opened = chat_text(tok, p.chat_template, p.system, prompt)
        whole = tok.apply_chat_template(head + [{"role": "user", "content": prompt},
                                                {"role": "assistant", "content": reply}],
                                        chat_template=template, tokenize=False)
        if not whole.startswith(opened):
            raise ValueError("the chat template renders the conversation with the reply differently from "
                             "the conversation awaiting it, so the prompt cannot be split off: use a "
                             "template whose generation prompt is a prefix of the answered turn")
        rows["prompt"].append(opened)
        rows["completion"].append(whole[len(opened):])
    ctx.record(join="chat template: prompt = the conversation up to the assistant turn", system=p.system,
               **template_record(tok, p.chat_template))
    return rows


def run(p: Params, ctx) -> None:
    from ._replay import ReplaySampler, mix_replay, with_replay_batches
    from ._trl import check_device, fit, load, lora_config, replay_chunks, seed_of, trl_args

    check_device(p, ctx)  # before importing TRL, which takes seconds
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    tok, lm = load(ctx, p)
    rows = _rows(ctx, p, tok)
    n_task = len(next(iter(rows.values())))
    ctx.record(examples=n_task)
    sampler = None
    if p.replay is not None and p.replay.ratio > 0:
        texts = [tok.decode(c) for c in replay_chunks(ctx, p, tok)]
        # An empty prompt makes a replay row a plain text in a prompt/completion dataset.
        replay = [{"text": t} if "text" in rows else {"prompt": "", "completion": t} for t in texts]
        rows, n = mix_replay(rows, replay, p.replay.ratio, seed_of(p, ctx))
        # Task rows then replay rows; the sampler deals each micro-batch its share of replay.
        sampler = ReplaySampler(n_task, n, p.replay.ratio, seed_of(p, ctx))
        ctx.record(replay_examples=n, replay_share=n / (n_task + n), replay_per_batch="every micro-batch")
    args = trl_args(SFTConfig, p, ctx, completion_only_loss=p.completion_only_loss,
                    dataset_text_field="text", packing=False, shuffle_dataset=False)
    trainer = with_replay_batches(SFTTrainer, sampler)(model=lm, args=args, train_dataset=Dataset.from_dict(rows),
                         processing_class=tok, peft_config=lora_config(p))
    fit(trainer, p, ctx, tok)


OP = Op(name="train.sft", version=3, params=Params, produces="model", doc=__doc__,
        cost=finetune_cost, axes=finetune_axes, run=run, parallel=True)
