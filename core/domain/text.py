"""Text that enters the system: one normaliser for every field a person or a file supplies.

Every service passes user text through :func:`clean_text` once, at its boundary, so what reaches the
database is NFC-normalised, trimmed, free of control characters and no longer than its column. A
value that cannot be made so is refused with a message that names the field, in both languages,
instead of surfacing later as a database error.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core.errors import InvalidInput

# Invisible characters that copy-paste from Excel, WeChat and web pages carries in; dropped silently.
_DROPPED = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# Refused: control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F), lone surrogates
# (Cs), and the characters that reorder or hide text on screen (Trojan-source style spoofing).
_BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_FORBIDDEN = re.compile(rf"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_BIDI_CONTROLS}]")
_FORBIDDEN_MULTILINE = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_BIDI_CONTROLS}]")
"""The same, less line breaks (\n) and tabs (\t)."""


@dataclass(frozen=True)
class Field:
    """A text field as the user knows it (its label in both languages) and its column's length."""

    label_zh: str
    label_en: str
    max_length: int
    multiline: bool = False


def forbidden_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character no stored text may hold (NUL, other control characters, bidi overrides);
    a multi-line field keeps line breaks and tabs."""
    found = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN).search(text)
    return found.group() if found else None


NOTE_MAX = 2000
"""Notes, resolutions and ticket bodies (unbounded TEXT columns) are bounded here: a page of text."""
REASON_MAX = 500
"""The reason a staff action asks for."""
SEARCH_MAX = 64
"""A search box: longer than any name, student number or ticket number it can match."""


REASON = Field("原因", "Reason", REASON_MAX, multiline=True)
"""The reason every audited staff action asks for (unbind, refund, quota override, escalation…)."""


def check_fits(text: str, field: Field) -> None:
    """Refuses, naming the field, a value holding a control character or longer than the field."""
    bad = forbidden_character(text, multiline=field.multiline)
    if bad is not None:
        raise InvalidInput(
            f"“{field.label_zh}”含有不可见的控制字符（U+{ord(bad):04X}），请删除后重试。",
            f"“{field.label_en}” contains an invisible control character (U+{ord(bad):04X}); remove it and retry.",
            field=field.label_en,
        )
    if len(text) > field.max_length:
        raise InvalidInput(
            f"“{field.label_zh}”最多 {field.max_length} 个字符（现为 {len(text)} 个）。",
            f"“{field.label_en}” takes at most {field.max_length} characters (this one has {len(text)}).",
            field=field.label_en,
        )


def clean_text(value: object, field: Field, *, required: bool = False) -> str:
    """NFC, trimmed, invisible characters dropped; control characters and overlong values refused.

    ``None`` reads as empty. Windows line ends become ``\\n`` in multi-line fields."""
    text = "" if value is None else str(value)
    text = unicodedata.normalize("NFC", text).translate(_DROPPED)
    if field.multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    if required and not text:
        raise InvalidInput(f"请填写“{field.label_zh}”。", f"“{field.label_en}” is required.", field=field.label_en)
    check_fits(text, field)
    return text


def escape_like(text: str, escape: str = "\\") -> str:
    """A search term for ``LIKE … ESCAPE '\\'``: ``%`` and ``_`` match themselves, not any text."""
    return text.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")
