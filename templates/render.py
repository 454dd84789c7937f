"""The one Jinja2 environment every specc report is rendered with.

Sandboxed, because templates see values from user specs (statements, measures,
paths); StrictUndefined, because a misspelt variable must fail the render, not
leave a silent blank in a pre-registration. Autoescape is off: the output is
Markdown, and `md` / `code` escape user strings where Markdown needs it (table cells).
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

TEMPLATES = Path(__file__).resolve().parent
MISSING = "—"


# Bare URLs GitHub would turn into links: `http://`, `https://`, `ftp://`, `www.`.
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp)(:)(?=//)|\b(www)(\.)")


def md(value: Any) -> str:
    """A user string made safe for one Markdown table cell: backslashes, `|` and `<`
    escaped (GitHub would drop `<eos>` as an HTML tag), one line, trimmed.

    Links and images are neutralised: `[` and `]` are escaped, so `![x](https://host/p.png)`
    in a title never makes a reader's browser fetch a remote image (a tracking pixel) and
    `[docs](https://evil)` never becomes a link; bare URLs are broken up (`https\\://`) so
    GitHub's autolinker leaves them as text. The rendered text reads the same."""
    if value is None:
        return MISSING
    text = (str(value).replace("\\", "\\\\").replace("|", r"\|").replace("<", "&lt;")
            .replace("[", r"\[").replace("]", r"\]"))
    text = _AUTOLINK.sub(lambda m: f"{m[1]}\\:" if m[1] else f"{m[3]}\\.", text)
    return " ".join(text.splitlines()).strip()


def code(value: Any) -> str:
    """A code span safe in a table cell; a fence longer than any backtick run inside."""
    if value is None:
        return MISSING
    # In a code span only `|` needs escaping (GFM tables split on it even there); `<` and
    # backslashes are shown as written.
    text = " ".join(str(value).replace("|", r"\|").splitlines()).strip()
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def num(value: Any) -> str:
    """An estimate to about 3 significant figures: 0.5123 -> 0.512, 12345.6 -> 12,346."""
    if value is None or isinstance(value, bool):
        return MISSING if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    x = float(value)
    if math.isnan(x):
        return MISSING
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) < 1e-4:
        return f"{x:.2e}"
    decimals = max(0, 2 - math.floor(math.log10(abs(x))))
    text = f"{x:.{decimals}f}"
    # 0.500 reads as more precision than a threshold of 0.5 has
    return text.rstrip("0").rstrip(".") if "." in text else text


def pct(value: Any) -> str:
    """A fraction as a percentage: 0.95 -> 95%, 0.975 -> 97.5%."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    text = f"{float(value) * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                               autoescape=False, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True)
    env.filters.update(md=md, code=code, num=num, pct=pct)
    return env


def render(template_name: str, **context: Any) -> str:
    """Render `templates/<template_name>` (e.g. 'preregistration.md.j2')."""
    return environment().get_template(template_name).render(**context)
