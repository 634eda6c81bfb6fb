"""Identity numbers and names: validation and the masking rules for display.

The full ID number is stored (CHSI batches are named by it) but never shown beyond its last 4
characters; names are masked (丁*云) wherever a student sees a record that may not be theirs.
"""

from __future__ import annotations

import re
import unicodedata

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID18 = re.compile(r"^\d{17}[\dX]$")


def normalise_text(value: object) -> str:
    """Full-width characters to half-width, stray and non-breaking spaces removed (Excel habits)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return text.replace("\u3000", " ").strip()


def normalise_id_number(value: object) -> str:
    return normalise_text(value).replace(" ", "").upper()


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid_id_number(id_number: str) -> bool:
    """GB 11643 check digit for mainland numbers (anything that starts with a digit must be one);
    other documents (passports, HK/Macau/Taiwan permits) start with a letter and are accepted by
    shape, since CHSI accepts them too."""
    if id_number[:1].isdigit():
        return bool(_ID18.match(id_number)) and id_check_digit(id_number[:17]) == id_number[17]
    return bool(re.fullmatch(r"[A-Z][A-Z0-9]{5,19}", id_number))


def id_last4(id_number: str) -> str:
    return id_number[-4:]


def mask_id(id_number: str) -> str:
    """What staff screens show of an ID number: only its last 4."""
    return "*" * max(0, len(id_number) - 4) + id_number[-4:]


def mask_name(name: str) -> str:
    """丁白云 → 丁*云, 张三 → 张*, 欧阳娜娜 → 欧**娜; Latin names keep their first letter."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
