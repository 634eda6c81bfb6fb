"""Text that enters the system: one normaliser for every field a person or a file supplies.

Every service passes user text through :func:`clean_text` once, at its boundary, so what reaches the
database is NFC-normalised, trimmed, free of control characters and no longer than its column. A
value that cannot be made so is refused with a message that names the field, in both languages,
instead of surfacing later as a database error.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from core.errors import InvalidInput

# Invisible characters that copy-paste from Excel, WeChat and web pages carries in; dropped silently.
_DROPPED = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# Characters that reorder or hide text on screen (Trojan-source style spoofing): refused.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_MULTILINE_ALLOWED = frozenset("\n\t")


@dataclass(frozen=True)
class Field:
    """A text field as the user knows it (its label in both languages) and its column's length."""

    label_zh: str
    label_en: str
    max_length: int
    multiline: bool = False


def forbidden_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character no stored text may hold (NUL, other control characters, bidi overrides)."""
    for char in text:
        if multiline and char in _MULTILINE_ALLOWED:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def clean_text(value: object, field: Field, *, required: bool = False) -> str:
    """NFC, trimmed, invisible characters dropped; control characters and overlong values refused.

    ``None`` reads as empty. Windows line ends become ``\\n`` in multi-line fields."""
    text = "" if value is None else str(value)
    text = unicodedata.normalize("NFC", text).translate(_DROPPED)
    if field.multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    bad = forbidden_character(text, multiline=field.multiline)
    if bad is not None:
        raise InvalidInput(
            f"“{field.label_zh}”含有不可见的控制字符（U+{ord(bad):04X}），请删除后重试。",
            f"“{field.label_en}” contains an invisible control character (U+{ord(bad):04X}); remove it and retry.",
            field=field.label_en,
        )
    if required and not text:
        raise InvalidInput(f"请填写“{field.label_zh}”。", f"“{field.label_en}” is required.", field=field.label_en)
    if len(text) > field.max_length:
        raise InvalidInput(
            f"“{field.label_zh}”最多 {field.max_length} 个字符（现为 {len(text)} 个）。",
            f"“{field.label_en}” takes at most {field.max_length} characters (this one has {len(text)}).",
            field=field.label_en,
        )
    return text


def escape_like(text: str, escape: str = "\\") -> str:
    """A search term for ``LIKE … ESCAPE '\\'``: ``%`` and ``_`` match themselves, not any text."""
    return text.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")
