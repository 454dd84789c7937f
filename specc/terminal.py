"""Consoles that never pass a user's control characters to the terminal.

Names, axis values, file names, data and error messages can hold terminal escape
sequences (`\\x1b]52;...` writes the clipboard, `\\x1b[2J` clears the screen, a bare
`\\r` overwrites a line) or bidirectional overrides that make text read differently
than it is. Everything specc prints goes through `render_str`, which shows such
characters as visible escapes (`\\x1b`, `\\u202e`); rich's own styling is added
after that and is unaffected.
"""
from __future__ import annotations

import re

from rich.console import Console

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides/isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every control character shown as an escape, never sent raw."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


class SafeConsole(Console):
    """A rich Console whose strings (printed, or in table cells) are made `visible` first."""

    def render_str(self, text: str, *args, **kwargs):
        return super().render_str(visible(text), *args, **kwargs)
