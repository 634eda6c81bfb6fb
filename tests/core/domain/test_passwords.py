"""The password policy enforces exactly what its words say."""

from __future__ import annotations

import pytest

from core.domain.passwords import MIN_LENGTH, RULE_EN, RULE_ZH, check_password, common_passwords, password_problem
from core.errors import InvalidInput


@pytest.mark.parametrize("password", ["!!!!!!!!", " " * 8, "\t" * 8, "12345678", "abcdefgh", "password1",
                                      "PASSWORD1", "woaini1314", "qwerty123", "Abc12", "abc123\x00xyz", "a1" * 65])
def test_what_the_rule_forbids_is_refused_with_the_rule_and_the_reason(password):
    with pytest.raises(InvalidInput) as refused:
        check_password(password)
    assert RULE_ZH in refused.value.message_zh and RULE_EN in refused.value.message_en
    assert password_problem(password) is not None


@pytest.mark.parametrize("password", ["Demo2025!", "Demo2025pass", "Review2025", "长城长城2025好", "correct horse 9"])
def test_what_the_rule_allows_is_accepted(password):
    assert password_problem(password) is None
    check_password(password)


def test_the_demo_accounts_password_passes_for_every_demo_user_name():
    from core.services.demo import DEMO_PASSWORD, STAFF

    for username, *_ in STAFF:
        check_password(DEMO_PASSWORD, username)


def test_the_user_name_cannot_be_the_password_whatever_its_case():
    with pytest.raises(InvalidInput, match="user name"):
        check_password("Zhang2025", "zhang2025")


def test_the_words_name_each_requirement_the_check_enforces():
    assert str(MIN_LENGTH) in RULE_ZH and "字母" in RULE_ZH and "数字" in RULE_ZH and "常见密码" in RULE_ZH
    assert "letters and digits" in RULE_EN and "common password" in RULE_EN and "user name" in RULE_EN


def test_the_common_list_is_carried_with_its_source_and_read_without_regard_to_case():
    words = common_passwords()
    assert len(words) > 1500
    assert {"password1", "woaini1314", "qwerty123", "5201314"} <= words
    assert not any(w.startswith("#") for w in words)
