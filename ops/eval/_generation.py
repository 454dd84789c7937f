"""Batched text generation on transformers' `generate`: the engine of eval.generate.

    rows = [Row(prompt_ids, seed), ...]                 one row per prompt × sample
    outs = generate(lm, tok, rows, Decoding(...), batch_tokens=8192)

What it adds to a bare `model.generate` call, and why:

* Batches under a token budget. Rows are sorted by prompt length (longest first, so an
  out-of-memory error comes in the first batch) and cut so that rows × (longest prompt +
  max_new_tokens) stays under `batch_tokens`. Prompts are left-padded: every row's next
  token then sits in the last column, and transformers derives position ids from the
  attention mask, so a padded row computes what it would alone. The KV cache is
  transformers' own (`use_cache=True`).
* Sampling that does not depend on the batch. transformers samples a whole batch from
  one global generator, so a row's text would change with the batch it lands in (and
  with the runtime's OOM back-off, which halves batches). Here generation itself runs
  greedy, and `RowSampler`, a logits processor, draws each row's token by inverse-CDF
  from the warped distribution (temperature, top-k, top-p: transformers' own warpers)
  with one uniform number from that row's own generator, seeded from (seed, item,
  sample). The same seed gives the same text in any batch; another seed, other text.
* Only the spec's settings. The model's own generation config (a hub model's
  generation_config.json) is set aside while generating: transformers would otherwise
  fill every unset setting from it (repetition penalties, forced tokens ...).
* Why a row stopped. `RowFinish`, a stopping criterion, records per row the step at which
  it produced an end-of-sequence token ("eos") or completed a stop string ("stop"); a row
  that did neither ran out of max_new_tokens ("length"). Stop strings are searched in the
  decoded text of the row's last few tokens only, so the check stays cheap; the returned
  text is cut before the first stop string.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

FINISH_REASONS = ("eos", "stop", "length")


@dataclass(frozen=True)
class Decoding:
    sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0                  # 0: no top-k filter
    max_new_tokens: int = 64
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    prompt: tuple[int, ...]
    seed: int = 0                   # the row's sampling generator's seed (unused when greedy)


@dataclass
class Output:
    tokens: list[int]               # generated tokens, up to and including the eos / stop token
    text: str                       # decoded (special tokens skipped), cut before a stop string
    finish: str                     # eos | stop | length


@dataclass
class Stats:
    batches: int = 0
    new_tokens: int = 0
    padded_positions: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def batches(rows: Sequence[Row], budget: int, max_new_tokens: int) -> list[list[int]]:
    """Row indices in batches: longest prompts first, rows × (longest + new) <= budget
    (a single row may exceed it: it has to run anyway)."""
    order = sorted(range(len(rows)), key=lambda i: (-len(rows[i].prompt), i))
    out: list[list[int]] = []
    for i in order:
        if out:
            batch = out[-1]
            width = len(rows[batch[0]].prompt) + max_new_tokens   # batch[0] is its longest
            if (len(batch) + 1) * width <= budget:
                batch.append(i)
                continue
        out.append([i])
    return out


def generate(lm: Any, tokenizer: Any, rows: Sequence[Row], decoding: Decoding, *,
             batch_tokens: int, eos_ids: Sequence[int], pad_id: int,
             around: Callable[[], Any] | None = None) -> tuple[list[Output], Stats]:
    """Generate for every row; outputs in the rows' order. `around` (optional) returns a
    context manager entered around each batch's generation (steering hooks)."""
    import contextlib

    import torch
    from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList

    device = next(lm.parameters()).device
    config = GenerationConfig(
        do_sample=False, num_beams=1, max_new_tokens=decoding.max_new_tokens, min_new_tokens=0,
        eos_token_id=list(eos_ids), pad_token_id=pad_id, use_cache=True)
    outputs: list[Output | None] = [None] * len(rows)
    stats = Stats()
    for batch in batches(rows, batch_tokens, decoding.max_new_tokens):
        width = len(rows[batch[0]].prompt)
        ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for r, i in enumerate(batch):
            prompt = rows[i].prompt
            ids[r, width - len(prompt):] = torch.tensor(prompt, dtype=torch.long)
            mask[r, width - len(prompt):] = 1
        finish = RowFinish(tokenizer, width, eos_ids, decoding.stop)
        processors = LogitsProcessorList()
        if decoding.sample:
            processors.append(RowSampler(decoding, [rows[i].seed for i in batch]))
        with torch.inference_mode(), (around() if around else contextlib.nullcontext()), \
                _own_config_only(lm):
            out = lm.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                              generation_config=config, logits_processor=processors,
                              stopping_criteria=StoppingCriteriaList([finish]))
        new = out[:, width:].tolist()
        stats.batches += 1
        stats.padded_positions += int((mask == 0).sum())
        for r, i in enumerate(batch):
            outputs[i] = _output(tokenizer, new[r], finish.step[r], finish.reason[r], decoding)
            stats.new_tokens += len(outputs[i].tokens)
    return outputs, stats   # type: ignore[return-value]


@contextmanager
def _own_config_only(lm: Any) -> Iterator[None]:
    """Set the model's own generation config aside while generating: transformers fills
    every setting the call leaves unset from it, so a hub model's generation_config.json
    (a repetition penalty, forced or suppressed tokens, ...) would shape the text without
    the spec saying so."""
    from transformers import GenerationConfig
    saved = lm.generation_config
    lm.generation_config = GenerationConfig()
    try:
        yield
    finally:
        lm.generation_config = saved


def _output(tokenizer: Any, new: list[int], step: int | None, reason: str | None,
            decoding: Decoding) -> Output:
    if step is None:
        tokens, reason = new[:decoding.max_new_tokens], "length"
    else:
        tokens = new[:step]
    kept = tokens[:-1] if reason == "eos" else tokens
    text = tokenizer.decode(kept, skip_special_tokens=True)
    if reason == "stop":
        text = text[:min(i for i in (text.find(s) for s in decoding.stop) if i >= 0)]
    return Output(tokens=tokens, text=text, finish=reason)


class RowFinish:
    """A stopping criterion that records, per row, the step (1-based count of new tokens)
    at which it ended and why: "eos" or "stop". Rows that end on a stop string are
    reported done; eos rows are ended by generate's own eos criterion as well."""

    def __init__(self, tokenizer: Any, prompt_width: int, eos_ids: Sequence[int],
                 stops: Sequence[str]):
        self.tokenizer = tokenizer
        self.width = prompt_width
        self.eos = set(eos_ids)
        self.stops = tuple(stops)
        # A stop string of c characters lies within the last c + 8 tokens (a token is at
        # least one character, except the pieces of a multi-byte character).
        self.window = max((len(s) for s in self.stops), default=0) + 8
        self.step: list[int | None] = []
        self.reason: list[str | None] = []

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch
        n, length = input_ids.shape
        if not self.step:
            self.step, self.reason = [None] * n, [None] * n
        steps = length - self.width
        last = input_ids[:, -1].tolist()
        done = [s is not None for s in self.step]
        for r in range(n):
            if done[r]:
                continue
            if last[r] in self.eos:
                self.step[r], self.reason[r], done[r] = steps, "eos", True
            elif self.stops:
                tail = input_ids[r, max(self.width, length - self.window):].tolist()
                text = self.tokenizer.decode(tail, skip_special_tokens=True)
                if any(s in text for s in self.stops):
                    self.step[r], self.reason[r], done[r] = steps, "stop", True
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class RowSampler:
    """A logits processor that samples each row with its own generator (see the module doc).

    Returns scores that are -inf everywhere but at the drawn token, so the greedy step
    that follows picks exactly that token."""

    def __init__(self, decoding: Decoding, seeds: Sequence[int]):
        import torch
        from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
        self.warpers = []
        if decoding.temperature != 1.0:
            self.warpers.append(TemperatureLogitsWarper(decoding.temperature))
        if decoding.top_k > 0:
            self.warpers.append(TopKLogitsWarper(decoding.top_k))
        if decoding.top_p < 1.0:
            self.warpers.append(TopPLogitsWarper(decoding.top_p))
        self.generators = [torch.Generator().manual_seed(s) for s in seeds]

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch
        scores = scores.float()
        for warp in self.warpers:
            scores = warp(input_ids, scores)
        probs = torch.softmax(scores, dim=-1)
        cdf = probs.cumsum(dim=-1)
        u = torch.cat([torch.rand(1, generator=g, dtype=torch.float64) for g in self.generators])
        target = (u.to(cdf.device) * cdf[:, -1].double()).to(cdf.dtype).unsqueeze(1)
        token = torch.searchsorted(cdf, target).clamp(max=probs.shape[-1] - 1)
        # Never a zero-probability token (u = 0 lands before the first token with mass).
        first = (probs > 0).to(torch.uint8).argmax(dim=-1, keepdim=True)
        token = torch.where(probs.gather(1, token) > 0, token, first)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter_(1, token, 0.0)


def row_seed(seed: int, item: int, sample: int) -> int:
    """A 63-bit seed for one row, a pure function of (task seed, item, sample)."""
    import hashlib
    digest = hashlib.sha256(f"{seed}/{item}/{sample}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
