"""Support-ticket rules: the due time each priority gets, what counts as overdue, the ticket
number read out on the phone, and which status changes a ticket allows.

Due times are calendar hours from opening, so an urgent call at 17:00 is still due that evening:
the hotline's answer window (Mon-Fri 8:30-12:00, 14:00-17:30) is for calls; tickets are worked by
the back office too.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from core.domain.enums import SchoolAnswer, TicketCategory, TicketChannel, TicketPriority, TicketStatus
from core.errors import Conflict

SLA: dict[TicketPriority, timedelta] = {
    TicketPriority.URGENT: timedelta(hours=2),
    TicketPriority.HIGH: timedelta(hours=8),
    TicketPriority.NORMAL: timedelta(hours=24),
    TicketPriority.LOW: timedelta(hours=72),
}
"""Time from opening to due, per priority."""

OPEN_STATUSES = frozenset({TicketStatus.OPEN, TicketStatus.WAITING_STUDENT, TicketStatus.WAITING_SCHOOL,
                           TicketStatus.SCHOOL_REPLIED})

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
    TicketStatus.SCHOOL_REPLIED: ("学校已答复", "School replied"),
    TicketStatus.RESOLVED: ("已解决", "Resolved"),
}

ANSWER_LABELS: dict[SchoolAnswer, tuple[str, str]] = {
    SchoolAnswer.REPLY: ("答复", "Reply"),
    SchoolAnswer.SOLVED_BY_SCHOOL: ("由学校解决", "Solved by the school"),
    SchoolAnswer.NEEDS_STUDENT: ("需学生本人处理", "Needs the student"),
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


def escalation_due_at(escalated_at: datetime | None, answer_hours: int) -> datetime | None:
    """When the school should have answered (None for tickets escalated before the time was kept)."""
    return None if escalated_at is None else escalated_at + timedelta(hours=answer_hours)


def is_escalation_overdue(escalated_at: datetime | None, status: TicketStatus, answer_hours: int,
                          now: datetime) -> bool:
    """The school has not answered within the policy's hours: shown to the registrar and to support."""
    due = escalation_due_at(escalated_at, answer_hours)
    return status is TicketStatus.WAITING_SCHOOL and due is not None and due < now


def check_answerable(status: TicketStatus) -> None:
    """A school answers a ticket once per escalation, while it waits on the school."""
    if status is TicketStatus.SCHOOL_REPLIED:
        raise Conflict("学校已答复过该工单；如需补充，请联系客服再次转交。",
                       "The school has already answered this ticket; support can escalate it again.")
    if status is not TicketStatus.WAITING_SCHOOL:
        raise Conflict("该工单已不在等待学校答复（客服已收回或已解决），无需答复。",
                       "This ticket no longer waits on the school (support took it back or resolved it).")


STATUS_AFTER_ANSWER = TicketStatus.SCHOOL_REPLIED
"""Every answer, even 由学校解决, hands the ticket back to support as 学校已答复 rather than
resolving it: the student called the hotline, so the hotline owns the call-back and closes the
ticket once the student has heard the outcome (a school's "solved" is often "solved on our
side"; only the call-back confirms the student can go on). The answer kind tells the agent
what that call-back is: confirm and close, tell the student what to do in person, or read the
reply and carry on. The ticket gets a fresh due time from the answer, as a reopened one does."""
