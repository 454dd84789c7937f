"""Rendering item prompts, in a chat template or as plain text: shared by eval.generate
and eval.judge.

    text = fill(template, row)                          "{context}\\n{question}" over a record
    text = chat_text(tok, chat_template, system, text)  the conversation, ready for the reply
    ids  = prompt_tokens(tok, text, chat, bos)           token ids to feed the model

A chat template is the tokenizer's own (`chat_template: tokenizer`) or a Jinja template
written in the spec; transformers renders it (`apply_chat_template`, with the
generation prompt, so the text ends where the assistant's reply begins). A chat template
places its own BOS and special tokens, so the BOS policy applies to plain prompts only.
"""
from __future__ import annotations

from typing import Annotated, Any, Mapping

from pydantic import Field

from .._common import placeholders
from ._choices import text_of

TOKENIZER_TEMPLATE = "tokenizer"

ChatTemplate = Annotated[
    str | None,
    Field(description=(
        "How the prompt becomes a conversation. None (default): the prompt is plain text "
        "(base models). \"tokenizer\": the tokenizer's own chat template (instruction-tuned "
        "hub models); a Jinja chat template written here replaces it (in transformers' "
        "format: `messages`, `add_generation_prompt`, `bos_token` ...). The rendered "
        "text ends with the assistant's turn opened.")),
]

System = Annotated[
    str | None,
    Field(description=(
        "System prompt: the conversation's first message (role \"system\"). Needs a "
        "chat_template.")),
]


def check_template(value: str, what: str) -> list[str]:
    """The {field} names of a prompt template; ValueError when it is malformed or has an
    unnamed {} (every placeholder names a field)."""
    names = placeholders(value, what)
    if any(not n or n.isdigit() for n in names):
        raise ValueError(f"{what} has an unnamed placeholder {{}}: name a field, e.g. "
                         "{question}, or write {{{{}}}} for literal braces")
    return names


def check_system(system: str | None, chat_template: str | None) -> None:
    if system is not None and chat_template is None:
        raise ValueError("a system prompt needs a chat_template (\"tokenizer\" or a Jinja "
                         "template): plain-text prompts have no system role")


def fill(template: str, row: Mapping[str, Any]) -> str:
    """The template with each {field} replaced by the record's value as text."""
    names = dict.fromkeys(placeholders(template, "template"))
    return template.format_map({n: text_of(row[n]) for n in names})


def missing_fields(template: str, columns: Any, reserved: tuple[str, ...] = ()) -> list[str]:
    return [n for n in dict.fromkeys(placeholders(template, "template"))
            if n not in columns and n not in reserved]


def chat_text(tokenizer: Any, chat_template: str, system: str | None, user: str) -> str:
    """The conversation [system?, user] rendered with the generation prompt appended."""
    messages = ([{"role": "system", "content": system}] if system is not None else [])
    messages.append({"role": "user", "content": user})
    own = chat_template == TOKENIZER_TEMPLATE
    if own and not getattr(tokenizer, "chat_template", None):
        raise ValueError("chat_template: tokenizer, but this tokenizer has no chat template: "
                         "write one in the spec (a Jinja template) or drop chat_template")
    return tokenizer.apply_chat_template(messages, chat_template=None if own else chat_template,
                                         tokenize=False, add_generation_prompt=True)


def render(tokenizer: Any, chat_template: str | None, system: str | None, user: str) -> str:
    """The full text the model reads: the conversation, or the plain prompt."""
    return user if chat_template is None else chat_text(tokenizer, chat_template, system, user)


def template_record(tokenizer: Any, chat_template: str | None) -> dict[str, Any]:
    """What to put in the manifest about the chat template used."""
    if chat_template is None:
        return {"chat_template": None}
    if chat_template == TOKENIZER_TEMPLATE:
        return {"chat_template": "tokenizer", "chat_template_text": tokenizer.chat_template}
    return {"chat_template": "spec", "chat_template_text": chat_template}
