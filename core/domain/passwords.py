"""The staff password policy: one rule, stated once, enforced exactly as worded.

A password needs at least ``MIN_LENGTH`` characters, at least one letter and one digit (0-9), no
control characters, and may be neither a common password (``common_passwords.txt``, compared
without regard to case) nor the account's own user name. ``RULE_ZH``/``RULE_EN`` are the words the
screens show before anyone types, and every refusal repeats them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from core.domain.text import forbidden_character
from core.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
"""Long passphrases are welcome; past this a value is a paste gone wrong, not a password."""
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")

RULE_ZH = f"密码至少 {MIN_LENGTH} 位，须同时包含字母和数字（0-9），不能是常见密码，也不能与用户名相同。"
RULE_EN = (f"A password needs at least {MIN_LENGTH} characters with letters and digits (0-9), and may be "
           "neither a common password nor the user name.")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


def password_problem(password: str, username: str = "") -> tuple[str, str] | None:
    """What is wrong with ``password`` (in Chinese and English), or None when the policy accepts it."""
    if len(password) < MIN_LENGTH:
        return f"太短（{len(password)} 位）", f"too short ({len(password)} characters)"
    if len(password) > MAX_LENGTH:
        return f"超过 {MAX_LENGTH} 位", f"longer than {MAX_LENGTH} characters"
    if forbidden_character(password) is not None:
        return "含有不可见的控制字符", "it contains an invisible control character"
    if not any(char.isalpha() for char in password):
        return "没有字母", "it has no letter"
    if not any(char in "0123456789" for char in password):
        return "没有数字", "it has no digit"
    if password.casefold() in common_passwords():
        return "这是一个常见密码", "it is a common password"
    if username and password.casefold() == username.strip().casefold():
        return "与用户名相同", "it is the user name"
    return None


def check_password(password: str, username: str = "") -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise InvalidInput(f"{RULE_ZH}（此密码{problem[0]}。）", f"{RULE_EN} (This one: {problem[1]}.)",
                           field="password")
