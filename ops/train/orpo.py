"""Odds Ratio Preference Optimization (TRL `ORPOTrainer`): SFT and preference in one.

Adds to the next-token loss on chosen responses a term that raises the odds of
chosen over rejected responses, weighted by `beta` (λ in the ORPO paper). No
reference model: it starts from a base model without a prior SFT stage.

TRL turns every dropout off during preference training (`disable_dropout`, so that
log-likelihoods are comparable step to step), LoRA's included: `lora.dropout` acts
in train.sft only.

Prompt and responses are joined with one space (a leading space is added to a
response that lacks one); TRL's ORPO adds BOS before the prompt and EOS after each
response, and its SFT term covers the prompt tokens too (TRL's choice).

`history.parquet` has one row per optimiser step: step, loss, lr, grad_norm,
logp_chosen and logp_rejected (TRL's `logps/chosen`, `logps/rejected`: the log-
likelihood of the response tokens and the EOS given the prompt, *averaged per
token* (`logp_reduction: mean`, unlike DPO's sums), averaged over the step's
pairs, under the policy before that step's update), reward_chosen /
reward_rejected (beta times those), reward_margin, reward_accuracy, nll_loss,
log_odds_ratio, log_odds_chosen, and replay_loss with replay.

Replay: TRL's ORPO loss takes only preference pairs, so replay text adds a
next-token loss to each batch, each replay example weighted like one pair
(train/_trl.py).

The fine-tuning params (lr, steps/epochs, replay, LoRA, precision ...) are the
same in train.sft, train.dpo and train.orpo. Cost: 6·N·D full
(≈4·N·D with LoRA) over chosen and rejected sequences.

    orpo:
      op: train.orpo
      model: pretrain
      data: preferences.train
      lr: 8.0e-6
      beta: 0.1
      epochs: 1
"""
from __future__ import annotations

from pydantic import Field

from .._op import Op
from ._finetune import PreferenceParams, finetune_axes, finetune_cost


class Params(PreferenceParams):
    beta: float = Field(default=0.1, gt=0.0, description=(
        "Weight λ of the odds-ratio term against the SFT loss. Higher pushes harder "
        "away from rejected responses; the paper uses 0.1 to 0.25."))


def run(p: Params, ctx) -> None:
    import warnings

    from ._replay import use_replay, with_replay
    from ._trl import check_device, fit, load, lora_config, preference_rows, trl_args

    check_device(p, ctx)  # before importing TRL, which takes seconds
    from datasets import Dataset
    with warnings.catch_warnings():  # ORPO lives in trl.experimental, which warns on import
        warnings.filterwarnings("ignore", message=".*trl.experimental")
        from trl.experimental.orpo import ORPOConfig, ORPOTrainer

    tok, lm = load(ctx, p)
    args = trl_args(ORPOConfig, p, ctx, beta=p.beta, disable_dropout=True)
    cls = with_replay(ORPOTrainer, lambda inputs: inputs["chosen_input_ids"].shape[0])
    trainer = cls(model=lm, args=args, processing_class=tok,
                  train_dataset=Dataset.from_dict(preference_rows(ctx, p)), peft_config=lora_config(p))
    use_replay(trainer, ctx, p, tok)
    fit(trainer, p, ctx, tok, logp="mean")


OP = Op(name="train.orpo", version=2, params=Params, produces="model", doc=__doc__,
        cost=finetune_cost, axes=finetune_axes, run=run, parallel=True)
