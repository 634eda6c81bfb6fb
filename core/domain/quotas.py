"""Quota rules, all in one place.

- 5 standardisations (crop + background) per student per calendar day, Asia/Shanghai time; the
  6th is refused until the next day. Retakes before standardisation are free and unlimited.
- 2 free review submissions; beyond them each costs 1 yuan.
- 1 free photo replacement before human review; none after approval; beyond it 1 yuan.
- Staff overrides grant extra attempts (with a reason, audited).

The services count usage from the quota ledger and call these pure functions to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.domain.policy import Policy
from core.errors import PaymentRequired, QuotaExceeded

CHINA = ZoneInfo("Asia/Shanghai")


def local_day(moment: datetime) -> date:
    """The calendar day in China of an aware timestamp: the daily limit resets at Beijing midnight."""
    return moment.astimezone(CHINA).date()


@dataclass(frozen=True)
class QuotaUsage:
    """What one roster record has used and been given, as counted from the ledger."""

    standardisations_today: int = 0
    standardisations_granted_today: int = 0
    submissions_used: int = 0
    submissions_granted: int = 0
    submissions_purchased: int = 0
    replacements_used: int = 0
    replacements_granted: int = 0
    replacements_purchased: int = 0
    has_approved_photo: bool = False


def standardisations_left(usage: QuotaUsage, policy: Policy) -> int:
    allowance = policy.daily_standardisations + usage.standardisations_granted_today
    return max(0, allowance - usage.standardisations_today)


def check_standardisation(usage: QuotaUsage, policy: Policy) -> None:
    if standardisations_left(usage, policy) <= 0:
        raise QuotaExceeded(
            f"今日照片标准化次数已用完（每日限 {policy.daily_standardisations} 次），请明天再来。"
            "标准化之前重拍不限次数。",
            f"Today's standardisations are used up ({policy.daily_standardisations} a day); "
            "try again tomorrow. Retakes before standardising are unlimited.",
            limit=policy.daily_standardisations,
        )


def free_submissions_left(usage: QuotaUsage, policy: Policy) -> int:
    return max(0, policy.free_submissions + usage.submissions_granted - usage.submissions_used)


def submissions_left(usage: QuotaUsage, policy: Policy) -> int:
    """Free and paid-for submissions still available."""
    return free_submissions_left(usage, policy) + max(
        0,
        usage.submissions_purchased
        - max(0, usage.submissions_used - policy.free_submissions - usage.submissions_granted),
    )


def check_submission(usage: QuotaUsage, policy: Policy) -> None:
    if submissions_left(usage, policy) <= 0:
        yuan = policy.extra_service_price_fen / 100
        raise PaymentRequired(
            f"{policy.free_submissions} 次免费提交审核已用完，继续提交需支付 {yuan:g} 元/次。",
            f"The {policy.free_submissions} free review submissions are used; each further "
            f"submission costs {yuan:g} yuan.",
            price_fen=policy.extra_service_price_fen,
        )


def replacements_left(usage: QuotaUsage, policy: Policy) -> int:
    if usage.has_approved_photo:
        return 0
    allowance = (
        policy.free_replacements + usage.replacements_granted + usage.replacements_purchased
    )
    return max(0, allowance - usage.replacements_used)


def check_replacement(usage: QuotaUsage, policy: Policy) -> None:
    if usage.has_approved_photo:
        raise QuotaExceeded(
            "照片已通过人工审核，不允许再更换照片。",
            "The photo has passed human review; it can no longer be replaced.",
        )
    if replacements_left(usage, policy) <= 0:
        yuan = policy.extra_service_price_fen / 100
        raise PaymentRequired(
            f"免费更换照片次数已用完，继续更换需支付 {yuan:g} 元/次。",
            f"The free replacement is used; each further replacement costs {yuan:g} yuan.",
            price_fen=policy.extra_service_price_fen,
        )


def check_grant_replacement(usage: QuotaUsage) -> None:
    """Staff may grant a replacement only while no photo is approved (the seed forbids it after)."""
    if usage.has_approved_photo:
        raise QuotaExceeded(
            "该学生的照片已通过审核，通过审核后不允许更换照片，不能赠送更换次数。",
            "The student's photo is approved; no replacement can be granted after approval.",
        )
