from __future__ import annotations

from datetime import datetime, UTC

import pytest

from core.domain.policy import Policy
from core.domain.quotas import (
    QuotaUsage,
    check_grant_replacement,
    check_replacement,
    check_standardisation,
    check_submission,
    local_day,
    replacements_left,
    standardisations_left,
    submissions_left,
)
from core.errors import PaymentRequired, QuotaExceeded

POLICY = Policy()


def test_five_standardisations_a_day_and_the_sixth_is_refused():
    assert standardisations_left(QuotaUsage(standardisations_today=4), POLICY) == 1
    check_standardisation(QuotaUsage(standardisations_today=4), POLICY)
    with pytest.raises(QuotaExceeded) as refused:
        check_standardisation(QuotaUsage(standardisations_today=5), POLICY)
    assert "明天" in refused.value.message_zh


def test_staff_grant_extends_todays_standardisations():
    check_standardisation(QuotaUsage(standardisations_today=5, standardisations_granted_today=1), POLICY)
    with pytest.raises(QuotaExceeded):
        check_standardisation(QuotaUsage(standardisations_today=6, standardisations_granted_today=1), POLICY)


def test_day_boundary_is_beijing_midnight():
    # 15:59 UTC is 23:59 in Beijing; 16:00 UTC is the next day there.
    assert local_day(datetime(2026, 6, 1, 15, 59, tzinfo=UTC)).day == 1
    assert local_day(datetime(2026, 6, 1, 16, 0, tzinfo=UTC)).day == 2


def test_two_free_submissions_then_payment():
    check_submission(QuotaUsage(submissions_used=1), POLICY)
    with pytest.raises(PaymentRequired) as refused:
        check_submission(QuotaUsage(submissions_used=2), POLICY)
    assert "1 元" in refused.value.message_zh
    assert refused.value.context["price_fen"] == 100


def test_purchased_and_granted_submissions_count_once_each():
    assert submissions_left(QuotaUsage(submissions_used=2, submissions_purchased=1), POLICY) == 1
    assert submissions_left(QuotaUsage(submissions_used=3, submissions_purchased=1), POLICY) == 0
    assert submissions_left(QuotaUsage(submissions_used=2, submissions_granted=1), POLICY) == 1
    assert submissions_left(QuotaUsage(submissions_used=4, submissions_granted=1, submissions_purchased=1), POLICY) == 0


def test_one_free_replacement_before_review():
    assert replacements_left(QuotaUsage(), POLICY) == 1
    check_replacement(QuotaUsage(), POLICY)
    with pytest.raises(PaymentRequired):
        check_replacement(QuotaUsage(replacements_used=1), POLICY)
    check_replacement(QuotaUsage(replacements_used=1, replacements_purchased=1), POLICY)


def test_no_replacement_after_approval_even_if_paid_or_granted():
    usage = QuotaUsage(has_approved_photo=True, replacements_purchased=3, replacements_granted=1)
    assert replacements_left(usage, POLICY) == 0
    with pytest.raises(QuotaExceeded) as refused:
        check_replacement(usage, POLICY)
    assert "通过人工审核" in refused.value.message_zh
    with pytest.raises(QuotaExceeded):
        check_grant_replacement(usage)


def test_policy_numbers_drive_the_rules():
    generous = Policy(daily_standardisations=7, free_submissions=3)
    check_standardisation(QuotaUsage(standardisations_today=6), generous)
    check_submission(QuotaUsage(submissions_used=2), generous)
