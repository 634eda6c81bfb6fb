"""Support-ticket rules: the due time each priority gets, what counts as overdue, the ticket
number read out on the phone, and which status changes a ticket allows.

Due times are calendar hours from opening, so an urgent call at 17:00 is still due that evening:
the hotline's answer window (Mon-Fri 8:30-12:00, 14:00-17:30) is for calls; tickets are worked by
the back office too.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from core.domain.enums import TicketCategory, TicketChannel, TicketPriority, TicketStatus
from core.errors import Conflict

SLA: dict[TicketPriority, timedelta] = {
    TicketPriority.URGENT: timedelta(hours=2),
    TicketPriority.HIGH: timedelta(hours=8),
    TicketPriority.NORMAL: timedelta(hours=24),
    TicketPriority.LOW: timedelta(hours=72),
}
"""Time from opening to due, per priority."""

OPEN_STATUSES = frozenset({TicketStatus.OPEN, TicketStatus.WAITING_STUDENT, TicketStatus.WAITING_SCHOOL})

CATEGORY_LABELS: dict[TicketCategory, tuple[str, str]] = {
    TicketCategory.PAYMENT: ("支付问题", "Payment"),
    TicketCategory.CODE_UNREADABLE: ("采集码无法识别", "Code cannot be decoded"),
    TicketCategory.SCHOOL_NOT_FOUND: ("找不到学校或任务", "Cannot find school/task"),
    TicketCategory.NOT_ON_ROSTER: ("不在采集名单", "Not on the roster"),
    TicketCategory.ACCOUNT_BINDING: ("账号绑定/解绑", "Account binding"),
    TicketCategory.QUOTA_EXCEEDED: ("次数用完", "Quota exceeded"),
    TicketCategory.REVIEW_DISPUTE: ("审核争议", "Review dispute"),
    TicketCategory.CHSI_STATUS: ("上网进度", "CHSI status"),
    TicketCategory.OTHER: ("其他", "Other"),
}

PRIORITY_LABELS: dict[TicketPriority, tuple[str, str]] = {
    TicketPriority.URGENT: ("紧急", "Urgent"),
    TicketPriority.HIGH: ("高", "High"),
    TicketPriority.NORMAL: ("普通", "Normal"),
    TicketPriority.LOW: ("低", "Low"),
}

STATUS_LABELS: dict[TicketStatus, tuple[str, str]] = {
    TicketStatus.OPEN: ("处理中", "Open"),
    TicketStatus.WAITING_STUDENT: ("等待学生", "Waiting on student"),
    TicketStatus.WAITING_SCHOOL: ("等待学校", "Waiting on school"),
    TicketStatus.RESOLVED: ("已解决", "Resolved"),
}

CHANNEL_LABELS: dict[TicketChannel, tuple[str, str]] = {
    TicketChannel.HOTLINE: ("热线电话", "Hotline"),
    TicketChannel.QQ: ("QQ", "QQ"),
    TicketChannel.LOOKUP: ("学生查询", "Lookup"),
    TicketChannel.SCHOOL: ("学校转来", "From school"),
}

_NUMBER = re.compile(r"^T(\d{6})(\d{5,})$", re.IGNORECASE)


def due_at(opened_at: datetime, priority: TicketPriority) -> datetime:
    return opened_at + SLA[priority]


def is_overdue(due: datetime, status: TicketStatus, now: datetime) -> bool:
    return status in OPEN_STATUSES and due < now


def ticket_number(opened_on: date, ticket_id: int) -> str:
    """T + the opening day (yymmdd, China) + the sequence: short enough to read out on the phone."""
    return f"T{opened_on:%y%m%d}{ticket_id:05d}"


def ticket_id_from_number(text: str) -> int | None:
    """The ticket id a number names, or None when the text is not a ticket number."""
    match = _NUMBER.match(text.strip())
    return int(match.group(2)) if match else None


def check_open(status: TicketStatus) -> None:
    if status not in OPEN_STATUSES:
        raise Conflict("工单已解决，如需继续处理请先重新打开。",
                       "The ticket is resolved; reopen it to work on it again.")


def check_status_change(current: TicketStatus, new: TicketStatus) -> None:
    """Plain status changes move between open and waiting on the student; resolving and escalating
    to the school have their own steps because they need a resolution or a school."""
    check_open(current)
    if new not in (TicketStatus.OPEN, TicketStatus.WAITING_STUDENT):
        raise Conflict("请使用“解决工单”或“转交学校”完成此状态变更。",
                       "Use 'resolve' or 'escalate to school' for this status.")
