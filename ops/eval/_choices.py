"""Turning multiple-choice items into scorer requests: one prompt per item, one target
per option, in the order item × option.

Each item is rendered with the template: {context}, {question}, and {options} as the
lettered list "A. <option>\\nB. <option>...". The prompt is the scorer's context and
each option's target follows it; the prompt's trailing whitespace moves to the start of
every target (a single space when it has none), as `_segments` does for pairs:

    letters   "...\\nAnswer:" + " A", " B", ...    targets share the prompt, so the scorer
                                                 projects its last position once per item
    options   "...\\nAnswer:" + " <option text>"

Template text before the first placeholder is the same for every item (an instruction,
few-shot examples): when it ends in whitespace it is cut there and becomes the scorer's
prefix after BOS, run once and cached for all items. Cutting only before whitespace keeps
the tokens equal to tokenizing the whole text at once (byte-level BPE splits there too).
"""
from __future__ import annotations

import math
import string
from typing import Any, Sequence

LETTERS = string.ascii_uppercase


def option_list(options: Sequence[str]) -> str:
    """The {options} placeholder's text: "A. first\\nB. second ..."."""
    return "\n".join(f"{LETTERS[i]}. {text}" for i, text in enumerate(options))


def template_head(template: str) -> str:
    """The literal text before the template's first placeholder (all of it if none)."""
    head = []
    for literal, name, _, _ in string.Formatter().parse(template):
        head.append(literal)
        if name is not None:
            break
    return "".join(head)


def text_of(value: Any) -> str:
    """A record field as text; a missing value (None, NaN) renders as ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def render(template: str, context: str, question: str, options: Sequence[str]) -> str:
    return template.format(context=context, question=question, options=option_list(options))


def labels_of(values: Any, k: int) -> list[int]:
    """The items' labels as option indices; ValueError naming the first one that is not
    an integer in [0, k)."""
    out = []
    for i, v in enumerate(values):
        try:
            ok = float(v) == int(float(v)) and 0 <= int(float(v)) < k
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"item {i}: label {v!r} is not an option index in 0..{k - 1} "
                             "(fields.label must hold the 0-based index into fields.options)")
        out.append(int(float(v)))
    return out


def item_options(items: Any, fields: Any) -> tuple[list[list[str]], list[int]]:
    """Each item's option texts and its label as an option index.

    With `fields.choices` the options are one field holding {"text": [...], "label": [...]}
    (the layout of ARC, OpenBookQA, CommonsenseQA: 3 to 5 options per item) and `fields.label`
    holds the answer's key ("C", "3"), matched against that item's choice labels. Otherwise
    the options are the fields listed in `fields.options` and the label is their index."""
    if not fields.choices:
        k = len(fields.options)
        return ([[text_of(items[f].iloc[i]) for f in fields.options] for i in range(len(items))],
                labels_of(items[fields.label], k))
    options, labels = [], []
    for i, (choice, key) in enumerate(zip(items[fields.choices], items[fields.label])):
        texts = list(choice["text"]) if isinstance(choice, dict) else None
        keys = [text_of(x) for x in choice["label"]] if isinstance(choice, dict) else None
        if not texts or keys is None or len(keys) != len(texts):
            raise ValueError(f"item {i}: fields.choices ({fields.choices!r}) must hold "
                             f"{{'text': [...], 'label': [...]}} of equal length; got {choice!r}")
        if len(texts) > fields.max_options:
            raise ValueError(f"item {i} has {len(texts)} options, more than fields.max_options "
                             f"({fields.max_options}): raise it")
        if text_of(key) not in keys:
            raise ValueError(f"item {i}: answer key {key!r} is not one of its choice labels {keys}")
        options.append([text_of(t) for t in texts])
        labels.append(keys.index(text_of(key)))
    return options, labels


def choice_requests(items: Any, fields: Any, options: list[list[str]], template: str, scoring: str,
                    encode: Any, bos: tuple[int, ...]) -> list:
    """Requests in the order item × option (see the module doc for the segments); an item
    with fewer options than another has fewer requests."""
    from ._scorer import Request
    from ._segments import split_trailing_space

    n = len(items)
    contexts = [text_of(v) for v in items[fields.context]] if fields.context else [""] * n
    questions = [text_of(v) for v in items[fields.question]]

    head, head_space = split_trailing_space(template_head(template))
    if not head_space:
        head = ""   # no whitespace to cut before: the head stays in each prompt
    prefix_text_len = len(head)
    segments = []
    for i in range(n):
        opts = options[i]
        prompt = render(template, contexts[i], questions[i], opts)[prefix_text_len:]
        core, lead = split_trailing_space(prompt)
        lead = lead or " "
        targets = [lead + LETTERS[j] for j in range(len(opts))] if scoring == "letters" else [lead + o for o in opts]
        segments.append((core, targets))
    encode.add([head] + [s for core, targets in segments for s in (core, *targets)])
    prefix = bos + encode(head)
    return [Request(prefix, encode(core), encode(t)) for core, targets in segments for t in targets]
