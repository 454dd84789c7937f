"""Fast log-likelihood scoring of many short continuations: the engine of the eval ops.

A `Request` is three token lists: `prefix` (shared leading tokens such as BOS + a
prompt), `context` (per-item tokens that condition but are not scored) and `target`
(the scored tokens). `score` returns, per request, the summed log-probability of its
target tokens (nats) and how many tokens were scored. `score_naive` is the reference:
one request at a time, a full forward pass and a full log-softmax.

Why `score` is fast, in the order the work happens:

1. Identical requests are scored once.
2. Requests are grouped by prefix. A prefix runs through the model once; its key/value
   cache is then shared (expanded, not copied) by every continuation batch of the group.
3. Within a group, rows (context + target) are sorted by length and cut into batches
   under a token budget, so padding is small and memory bounded. Rows are right-padded:
   with causal attention a real token never sees the padding after it.
4. The vocabulary projection runs only where a log-prob is needed, never at prefix,
   context or padding positions, and never twice for the same context: a trie over
   token sequences gives every distinct context one "owner" position (e.g. the shared
   stem of a good and a bad sentence is projected once). A row is cut after its last
   owned position and dropped if it owns none, so the options of a multiple-choice
   item, which share their context, cost one row. The log-softmax is never
   materialised: log p = h·w[token] - logsumexp(h·W), the normaliser computed over
   cache-sized blocks of rows and vocabulary (see `_project`).

Models whose logits are not `lm_head(last hidden state)` (logit soft-capping or
scaling) are detected with one probe forward and scored through the model's own
`logits` instead; results are the same, only slower.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import chain
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

# Blocks of the vocabulary projection: 256 rows × 1024 logits = 1 MiB in fp32, small
# enough to stay in a CPU's cache while the normaliser is accumulated.
ROW_BLOCK, VOCAB_BLOCK = 256, 1024


@dataclass(frozen=True)
class Request:
    prefix: tuple[int, ...]
    context: tuple[int, ...]
    target: tuple[int, ...]

    @property
    def tokens(self) -> tuple[int, ...]:
        return self.prefix + self.context + self.target


@dataclass
class Scores:
    logprob: np.ndarray   # float64 per request: sum of target-token log-probs
    tokens: np.ndarray    # int per request: target tokens scored (the first token of a
                          # request with no prefix or context has nothing to condition on)
    stats: dict[str, int]


def scored_span(r: Request) -> range:
    """Indices into `r.tokens` whose log-prob is summed."""
    start = len(r.prefix) + len(r.context)
    return range(max(start, 1), start + len(r.target))


def check_lengths(requests: Sequence[Request], limit: int | None) -> None:
    if limit is None:
        return
    for i, r in enumerate(requests):
        if len(r.tokens) > limit:
            raise ValueError(f"request {i} is {len(r.tokens)} tokens long; the model takes at most "
                             f"{limit} (its position embeddings): shorten the prompt or the items")


# --- the reference -----------------------------------------------------------------

def score_naive(lm: Any, requests: Sequence[Request]) -> Scores:
    """One request at a time, full logits and log-softmax: slow, obviously right."""
    import torch
    device = next(lm.parameters()).device
    out = np.zeros(len(requests)), np.zeros(len(requests), dtype=np.int64)
    with torch.inference_mode():
        for i, r in enumerate(requests):
            span = scored_span(r)
            if len(span) == 0:
                continue
            ids = torch.tensor([r.tokens], device=device)
            logp = torch.log_softmax(lm(input_ids=ids).logits[0].float(), dim=-1)
            idx = torch.tensor(list(span), device=device)
            out[0][i] = logp[idx - 1, ids[0, idx]].sum().item()
            out[1][i] = len(span)
    return Scores(out[0], out[1], {"requests": len(requests)})


# --- the fast path -----------------------------------------------------------------

@dataclass
class _Row:
    tokens: tuple[int, ...]                     # context + target, cut after its last owned position
    owned: list[tuple[int, int]]                # (column, node) whose hidden state is projected


@dataclass
class _Group:
    prefix: tuple[int, ...]
    rows: list[_Row]
    prefix_nodes: list[int]                     # nodes owned by the prefix's last position


class _Plan:
    """Every distinct (context node, next token) a request needs, and who owns each node."""

    def __init__(self) -> None:
        self.children: dict[tuple[int, int], int] = {}   # (node, token) -> child node
        self.owned: set[int] = set()                     # nodes some position already projects
        self.needs: dict[tuple[int, int], int] = {}      # (node, token) -> need id

    def child(self, node: int, token: int) -> int:
        key = (node, token)
        found = self.children.get(key)
        if found is None:
            found = self.children[key] = len(self.children) + 1   # 0 is the empty context
        return found


def score(lm: Any, requests: Sequence[Request], batch_tokens: int = 16384,
          share_prefix: bool = True, progress: Any = None) -> Scores:
    """Summed target log-probs of every request; see the module doc for how. `progress(done,
    total, **metrics)` (an op's ctx.progress) hears after every batch how many rows are scored."""
    import torch

    unique: dict[Request, int] = {}
    inverse = np.array([unique.setdefault(r, len(unique)) for r in requests], dtype=np.int64)
    reqs = list(unique)
    share_prefix = share_prefix and not _has_sliding_window(lm)
    if not share_prefix:   # everything in the rows: for models without a usable cache
        reqs = [Request((), r.prefix + r.context, r.target) for r in reqs]
    plan = _Plan()
    need_ids: list[list[int]] = [[] for _ in reqs]
    groups = _plan_groups(reqs, plan, need_ids)

    values = np.zeros(len(plan.needs))
    by_node: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (node, tok), nid in plan.needs.items():
        by_node[node].append((tok, nid))

    head, fast = _head(lm)
    head = head if fast else None   # slow path: the model's own logits
    device = next(lm.parameters()).device
    positions = batches = done = 0
    total_rows = sum(len(g.rows) for g in groups)
    with torch.inference_mode():
        for group in groups:
            prefix_last, prefix_cache = _run_prefix(lm, group.prefix, fast, device)
            if group.prefix_nodes:
                positions += len(group.prefix_nodes)
                _project(head, prefix_last.expand(len(group.prefix_nodes), -1), group.prefix_nodes,
                         by_node, values, device)
            for rows in _cut(group.rows, len(group.prefix), batch_tokens):
                batches += 1
                hidden = _forward(lm, rows, prefix_cache, fast, device)
                owned = [(i, c, n) for i, row in enumerate(rows) for c, n in row.owned]
                index_r = torch.tensor([i for i, _, _ in owned], device=device)
                index_c = torch.tensor([c for _, c, _ in owned], device=device)
                positions += len(owned)
                _project(head, hidden[index_r, index_c], [n for *_, n in owned], by_node, values, device)
                done += len(rows)
                if progress is not None:
                    progress(done, total_rows, batches=batches)

    counts = np.fromiter(map(len, need_ids), dtype=np.int64, count=len(need_ids))
    flat = np.fromiter(chain.from_iterable(need_ids), dtype=np.int64, count=int(counts.sum()))
    owner = np.repeat(np.arange(len(need_ids)), counts)
    per_req = np.bincount(owner, weights=values[flat], minlength=len(need_ids))
    stats = {"requests": len(requests), "unique_requests": len(reqs), "prefixes": len(groups),
             "rows": total_rows, "batches": batches,
             "projected_positions": positions, "scored_tokens": int(counts.sum())}
    return Scores(per_req[inverse], counts[inverse], stats)


def _plan_groups(reqs: list[Request], plan: _Plan, need_ids: list[list[int]]) -> list[_Group]:
    """Walk every request through the trie: record the (node, token) pairs it needs and
    give each new node an owner position. A row is cut after its last owned position
    (the model's output there is all that is used) and dropped if it owns none, e.g.
    every option row after the first in multiple choice, whose context is shared."""
    by_prefix: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for i, r in enumerate(reqs):
        by_prefix[r.prefix].append(i)
    groups = []
    for prefix, members in by_prefix.items():
        prefix_node = 0
        for tok in prefix:
            prefix_node = plan.child(prefix_node, tok)
        # Longest rows first: they claim the most nodes, so fewer short rows survive.
        members.sort(key=lambda i: -(len(reqs[i].context) + len(reqs[i].target)))
        group = _Group(prefix, [], [])
        children, needs, claimed = plan.children, plan.needs, plan.owned  # the hot loop: locals
        for i in members:
            r = reqs[i]
            rest = r.context + r.target
            node, first, owned, mine = prefix_node, len(r.context), [], need_ids[i]
            for col, tok in enumerate(rest):
                key = (node, tok)
                if col >= first and node != 0:          # a scored token with context
                    if node not in claimed:             # the first position with this context
                        claimed.add(node)
                        if col == 0:
                            group.prefix_nodes.append(node)
                        else:
                            owned.append((col - 1, node))
                    nid = needs.get(key)
                    if nid is None:
                        nid = needs[key] = len(needs)
                    mine.append(nid)
                nxt = children.get(key)
                if nxt is None:
                    nxt = children[key] = len(children) + 1
                node = nxt
            if owned:
                group.rows.append(_Row(rest[:owned[-1][0] + 1], owned))
        group.rows.sort(key=lambda row: -len(row.tokens))
        groups.append(group)
    return groups


def _cut(rows: list[_Row], prefix_len: int, budget: int):
    """Consecutive runs of (length-sorted) rows whose padded size fits the token budget."""
    start = 0
    while start < len(rows):
        per_row = prefix_len + len(rows[start].tokens)
        size = max(1, budget // max(per_row, 1))
        yield rows[start:start + size]
        start += size


def _head(lm: Any) -> tuple[Any, bool]:
    """The output projection, and whether logits are exactly head(base(x)) for this model."""
    import torch
    head = lm.get_output_embeddings()
    base = getattr(lm, "base_model", None)
    if head is None or base is None or base is lm:
        return None, False
    device = next(lm.parameters()).device
    ids = torch.tensor([[1, 2, 3, 4]], device=device) % lm.get_input_embeddings().weight.shape[0]
    with torch.inference_mode():
        direct = lm(input_ids=ids).logits
        composed = head(base(input_ids=ids).last_hidden_state)
    return head, bool(direct.shape == composed.shape and torch.allclose(direct, composed, atol=1e-5, rtol=1e-4))


def _has_sliding_window(lm: Any) -> bool:
    """Sliding-window layers (Mistral, Gemma-2/3 ...) keep only the window's last keys in
    their cache, so a prefix cache copied into a batch would lose its true length: such
    models get the prefix inside every row instead."""
    from transformers import DynamicCache
    try:
        return any(getattr(layer, "is_sliding", False) for layer in DynamicCache(config=lm.config).layers)
    except Exception:  # noqa: BLE001 - a config the cache cannot read: play safe
        return True


def _run_prefix(lm: Any, prefix: tuple[int, ...], fast: bool, device: Any):
    """The prefix's last hidden state (or logits) and its key/value cache, once per group."""
    import torch
    if not prefix:
        return None, None
    model = lm.base_model if fast else lm
    out = model(input_ids=torch.tensor([prefix], device=device), use_cache=True)
    return (out.last_hidden_state if fast else out.logits)[0, -1:], out.past_key_values


def _forward(lm: Any, rows: list[_Row], prefix_cache: Any, fast: bool, device: Any):
    """Hidden states (or logits, when not `fast`) of a batch of rows after their prefix.

    The prefix's cache is expanded to the batch (a view: no copy); a fresh cache object
    per batch, because the forward pass appends the rows' keys and values to it."""
    import torch
    from transformers import DynamicCache

    model = lm.base_model if fast else lm
    width = max(len(r.tokens) for r in rows)
    padded = np.zeros((len(rows), width), dtype=np.int64)   # right padding with token 0
    for i, r in enumerate(rows):
        padded[i, :len(r.tokens)] = r.tokens
    ids = torch.from_numpy(padded).to(device)
    cache = None
    if prefix_cache is not None:
        cache = DynamicCache(config=lm.config)
        for layer, entry in enumerate(prefix_cache.layers):
            n = len(rows)
            cache.update(entry.keys.expand(n, -1, -1, -1), entry.values.expand(n, -1, -1, -1), layer)
    out = model(input_ids=ids, past_key_values=cache, use_cache=cache is not None)
    return out.last_hidden_state if fast else out.logits


def _project(head: Any, states: Any, nodes: list[int], by_node: dict, values: np.ndarray,
             device: Any) -> None:
    """log p(token | node) for every needed token of every node.

    With a linear head: log p = h·w_token + b_token - logsumexp(h·W + b), the normaliser
    computed block by block over rows and vocabulary, so no [rows × vocabulary] tensor
    is ever materialised (the blocks stay in cache), and the needed logits as single
    dot products. Otherwise (`head` None: `states` are already
    logits) the same formula on the given logits.
    """
    import torch
    rows, toks, nids = [], [], []
    for k, node in enumerate(nodes):
        for tok, nid in by_node[node]:
            rows.append(k)
            toks.append(tok)
            nids.append(nid)
    r, t = torch.tensor(rows, device=device), torch.tensor(toks, device=device)
    if head is None:
        logits = states.float()
        picked = logits[r, t] - torch.logsumexp(logits, dim=-1)[r]
    else:
        weight, bias = head.weight, head.bias
        lse = _logsumexp_of_linear(states, weight, bias)
        # Accumulated in fp32 and rounded to the model's dtype, as F.linear rounds the
        # logits the normaliser sums: in bf16 both sides then see the same numbers.
        target = (states[r].float() * weight[t].float()).sum(-1)
        if bias is not None:
            target = target + bias[t].float()
        target = target.to(states.dtype).float()
        picked = target - lse[r]
    values[np.asarray(nids)] = picked.double().cpu().numpy()


def _logsumexp_of_linear(states: Any, weight: Any, bias: Any) -> Any:
    """logsumexp(states @ weight.T + bias, -1), one ROW_BLOCK × VOCAB_BLOCK block at a time:
    each block's logsumexp (a fused kernel) while the block is in cache, then the
    logsumexp of the blocks' results. Exact up to float rounding; ~2× faster on a CPU
    than one pass over whole rows of the vocabulary."""
    import torch
    out = []
    for i in range(0, states.shape[0], ROW_BLOCK):
        h = states[i:i + ROW_BLOCK]
        parts = [torch.logsumexp(torch.nn.functional.linear(
                     h, weight[j:j + VOCAB_BLOCK], None if bias is None else bias[j:j + VOCAB_BLOCK]).float(), -1)
                 for j in range(0, weight.shape[0], VOCAB_BLOCK)]
        out.append(torch.logsumexp(torch.stack(parts, -1), -1))
    return torch.cat(out)
