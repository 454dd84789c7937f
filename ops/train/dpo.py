"""Direct Preference Optimization (TRL `DPOTrainer`) on chosen/rejected pairs.

Raises the policy's log-likelihood ratio of chosen over rejected responses
relative to a frozen reference model, with strength `beta`. The reference is the
starting model (a frozen copy) unless `reference` names another; with LoRA it is
the base model with the adapters switched off (no second copy in memory).

TRL turns every dropout off during preference training (`disable_dropout`, so that
log-likelihoods are comparable step to step), LoRA's included: `lora.dropout` acts
in train.sft only.

Prompt and responses are joined with one space (a leading space is added to a
response that lacks one); TRL appends EOS to each response.

`history.parquet` has one row per optimiser step: step, loss, lr, grad_norm,
logp_chosen and logp_rejected (TRL's `logps/chosen`, `logps/rejected`: the log-
likelihood of the response tokens and the EOS given the prompt, summed over tokens
(`logp_reduction: sum`), averaged over the step's pairs, under the policy before
that step's update), reward_chosen / reward_rejected (beta times the log-ratio to
the reference), reward_margin, reward_accuracy, and replay_loss with replay. A
falling logp_chosen while reward_margin rises is DPO's likelihood displacement.
For held-out pairs, set `steps` and `checkpoint_every`, then score the
`checkpoint` axis with eval.logprob_pairs (good: chosen, bad: rejected, context:
prompt).

Replay: TRL's DPO loss takes only preference pairs, so replay text adds a next-token
loss to each batch, each replay example weighted like one pair (train/_trl.py).

The fine-tuning params (lr, steps/epochs, replay, LoRA, precision ...) are the
same in train.sft, train.dpo and train.orpo. Cost: 6·N·D full
(≈4·N·D with LoRA) over chosen and rejected sequences, + 2·N_ref·D for the
reference forward passes.

    dpo:
      op: train.dpo
      model: sft
      data: preferences.train
      lr: 5.0e-7
      beta: 0.1
      steps: 500
      checkpoint_every: 100
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .._op import ModelRef, Op
from ._finetune import PreferenceParams, finetune_axes, finetune_cost


class Params(PreferenceParams):
    beta: float = Field(default=0.1, gt=0.0, description=(
        "Strength of the KL constraint to the reference model. Lower (0.01-0.05) lets "
        "the policy move further; higher keeps it close to the reference."))
    loss_type: Literal["sigmoid", "ipo", "hinge"] = Field(default="sigmoid", description=(
        "DPO loss: sigmoid (original DPO), ipo (bounded, less overfitting on "
        "near-deterministic preferences) or hinge (SLiC)."))
    reference: ModelRef | None = Field(default=None, description=(
        "Frozen reference model. None (default) = `model` as it was before training; "
        "name another model to measure drift against it instead."))

    def reference_model(self) -> str | None:
        return self.reference or self.model


def run(p: Params, ctx) -> None:
    import copy

    from .._lm import check_vocab
    from ._replay import use_replay, with_replay
    from ._trl import check_device, fit, load, lora_config, preference_rows, trl_args

    check_device(p, ctx)  # before importing TRL, which takes seconds
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    tok, lm = load(ctx, p)
    if p.reference is not None:
        ref = ctx.model(p.reference, vocab_size=len(tok))
        check_vocab(ref, tok, p.reference)
    elif p.lora is None:
        # TRL would reload the reference from the model's path, which a config model lacks.
        ref = copy.deepcopy(lm)
    else:
        ref = None  # TRL switches the adapters off: the base model, no second copy
    if ref is not None:
        ref.eval().requires_grad_(False)
    ctx.record(reference=p.reference or (f"{p.model} before training" if ref is not None
                                         else f"{p.model} (LoRA adapters disabled)"))
    args = trl_args(DPOConfig, p, ctx, beta=p.beta, loss_type=[p.loss_type], disable_dropout=True,
                    precompute_ref_log_probs=False)
    # A collated batch holds the chosen sequences, then the rejected ones.
    cls = with_replay(DPOTrainer, lambda inputs: inputs["input_ids"].shape[0] // 2)
    trainer = cls(model=lm, ref_model=ref, args=args, processing_class=tok,
                  train_dataset=Dataset.from_dict(preference_rows(ctx, p)), peft_config=lora_config(p))
    use_replay(trainer, ctx, p, tok)
    fit(trainer, p, ctx, tok, logp="sum")


OP = Op(name="train.dpo", version=2, params=Params, produces="model", doc=__doc__,
        cost=finetune_cost, axes=finetune_axes, run=run, parallel=True)
