"""Hotline and QQ tickets: open, note, assign, wait, escalate to the school, the school's answer,
resolve; the queue by due time; the registrar's list of escalations; the support dashboard
(aggregated in SQL).

Support and admins work every ticket (support is not school-scoped); a registrar sees and answers
only the tickets escalated to their own school. Every function returns frozen views, never rows.

Support hears of a school's answer through the queue (the ticket comes back as 学校已答复 with a
fresh due time): the outbox carries messages to students only, there is no staff-facing notice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, SQLColumnExpression, func, select, type_coerce, update
from sqlalchemy.orm import Session, aliased

from core.db import get_or_raise
from core.domain import tickets as rules
from core.domain.access import SUPPORT_ROLES, Actor, allowed, require_role, require_school
from core.domain.enums import Role, SchoolAnswer, TicketCategory, TicketChannel, TicketPriority, TicketStatus
from core.domain.identity import normalise_text
from core.domain.quotas import CHINA, local_day
from core.domain.text import NOTE_MAX, REASON, clean_text
from core.errors import AccessDenied, InvalidInput
from core.models import RosterRecord, School, StaffUser, SupportTicket, TicketNote, field, utcnow
from core.services import audit
from core.services.policy import get_policy


SUBJECT = field(SupportTicket.subject, "工单标题", "Subject")
CALLER_PHONE = field(SupportTicket.caller_phone, "来电号码", "Caller's phone")
NOTE = field(TicketNote.body, "备注", "Note", max_length=NOTE_MAX)
RESOLUTION = field(SupportTicket.resolution, "处理结果", "Resolution", max_length=NOTE_MAX)
NUMBER = field(SupportTicket.number, "工单号", "Ticket number")
ANSWER_TEXT = field(SupportTicket.school_answer_text, "答复内容", "Answer", max_length=NOTE_MAX)


@dataclass(frozen=True)
class TicketRow:
    """One line of a ticket list: what the queue, the student's page and the registrar show."""

    id: int
    number: str
    subject: str
    category: TicketCategory
    priority: TicketPriority
    status: TicketStatus
    channel: TicketChannel
    caller_phone: str
    created_at: datetime
    due_at: datetime
    resolved_at: datetime | None
    overdue: bool
    escalated_to_school: bool
    assignee_id: int | None
    assignee_name: str | None
    roster_record_id: int | None
    student_name: str | None
    school_id: int | None
    school_name: str | None
    escalated_at: datetime | None
    escalation_due_at: datetime | None
    """When the school should answer by (policy ``escalation_answer_hours`` after escalating)."""
    escalation_overdue: bool
    """Still waiting on the school past that time."""
    school_answer: SchoolAnswer | None
    school_answered_at: datetime | None


@dataclass(frozen=True)
class NoteRow:
    author_name: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class TicketDetail:
    row: TicketRow
    resolution: str
    notes: list[NoteRow]
    school_answer_text: str
    school_answered_by: str


@dataclass(frozen=True)
class StaffChoice:
    """Someone a ticket can be assigned to."""

    id: int
    name: str


def _require_support(actor: Actor) -> None:
    require_role(actor, *SUPPORT_ROLES)


def _load(session: Session, ticket_id: int) -> SupportTicket:
    ticket = get_or_raise(session, SupportTicket, ticket_id, "工单不存在。", "No such ticket.")
    return ticket


def _require_worker(actor: Actor, ticket: SupportTicket) -> None:
    """Support and admins work any ticket; a registrar only one escalated to their own school."""
    if actor.is_staff and actor.role is Role.REGISTRAR:
        if not ticket.escalated_to_school or ticket.school_id is None:
            raise AccessDenied("该工单未转交学校。", "This ticket was not escalated to a school.")
        require_school(actor, ticket.school_id)
        return
    _require_support(actor)


def _audit(session: Session, actor: Actor, action: str, ticket: SupportTicket, **detail: object) -> None:
    audit.record(session, actor, action, "support_ticket", ticket.id, school_id=ticket.school_id,
                 roster_record_id=ticket.roster_record_id, number=ticket.number, **detail)


def _note(session: Session, actor: Actor, ticket: SupportTicket, body: str, now: datetime) -> TicketNote:
    note = TicketNote(ticket_id=ticket.id, author_id=actor.id if actor.is_staff else None,
                      author_name=actor.name, body=body, created_at=now)
    session.add(note)
    return note


@allowed(*SUPPORT_ROLES)
def open_ticket(
    session: Session,
    actor: Actor,
    *,
    category: TicketCategory | None,
    subject: str,
    channel: TicketChannel = TicketChannel.HOTLINE,
    priority: TicketPriority = TicketPriority.NORMAL,
    caller_phone: str = "",
    roster_record_id: int | None = None,
    assignee_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> TicketRow:
    """From a call (no student found yet) or from the lookup (``roster_record_id`` given). The
    category is chosen by the agent, never defaulted: a wrong category routes the ticket wrongly
    and skews the statistics."""
    _require_support(actor)
    if category is None:
        raise InvalidInput("请选择问题类别。", "Choose the ticket's category.")
    moment = now or utcnow()
    subject = clean_text(subject, SUBJECT, required=True)
    note = clean_text(note, NOTE)
    phone = normalise_text(clean_text(caller_phone, CALLER_PHONE)).replace(" ", "")
    if phone and not phone.replace("-", "").replace("+", "").isdigit():
        raise InvalidInput("来电号码只能包含数字、+ 和 -。", "The caller's phone may hold digits, + and - only.")
    school_id = None
    if roster_record_id is not None:
        record = get_or_raise(session, RosterRecord, roster_record_id, "学籍记录不存在。", "Roster record not found.")
        school_id = record.school_id
    if assignee_id is not None:
        _check_assignee(session, assignee_id)
    ticket = SupportTicket(
        number=f"P{uuid.uuid4().hex[:31]}",
        roster_record_id=roster_record_id, school_id=school_id, channel=channel, caller_phone=phone,
        category=category, priority=priority, status=TicketStatus.OPEN, subject=subject,
        assignee_id=assignee_id, created_by_id=actor.id if actor.is_staff else None,
        created_at=moment, due_at=rules.due_at(moment, priority),
    )
    session.add(ticket)
    session.flush()
    ticket.number = rules.ticket_number(local_day(moment), ticket.id)
    if note:
        _note(session, actor, ticket, note, moment)
    _audit(session, actor, "ticket.open", ticket, category=category, priority=priority, channel=channel)
    session.flush()
    return _view(session, ticket, moment)


def _check_assignee(session: Session, assignee_id: int) -> StaffUser:
    user = session.get(StaffUser, assignee_id)
    if user is None or not user.active or user.role not in SUPPORT_ROLES:
        raise InvalidInput("只能指派给在职的客服或管理员。", "Tickets can only be assigned to active support staff.")
    return user


@allowed(Role.REGISTRAR, *SUPPORT_ROLES)
def add_note(session: Session, actor: Actor, ticket_id: int, body: str, *, now: datetime | None = None) -> NoteRow:
    ticket = _load(session, ticket_id)
    _require_worker(actor, ticket)
    body = clean_text(body, NOTE)
    if not body:
        raise InvalidInput("备注不能为空。", "The note is empty.")
    note = _note(session, actor, ticket, body, now or utcnow())
    session.flush()
    _audit(session, actor, "ticket.note", ticket, note_id=note.id)
    return NoteRow(note.author_name, note.body, note.created_at)


@allowed(*SUPPORT_ROLES)
def assign(session: Session, actor: Actor, ticket_id: int, assignee_id: int | None,
           *, now: datetime | None = None) -> TicketRow:
    _require_support(actor)
    ticket = _load(session, ticket_id)
    rules.check_open(ticket.status)
    if assignee_id is not None:
        _check_assignee(session, assignee_id)
    ticket.assignee_id = assignee_id
    _audit(session, actor, "ticket.assign", ticket, assignee_id=assignee_id)
    session.flush()
    return _view(session, ticket, now or utcnow())


@allowed(Role.REGISTRAR, *SUPPORT_ROLES)
def set_status(session: Session, actor: Actor, ticket_id: int, status: TicketStatus, note: str = "",
               *, now: datetime | None = None) -> TicketRow:
    """Open ↔ waiting on the student (also from 学校已答复); a registrar hands an escalated ticket
    back by reopening it."""
    ticket = _load(session, ticket_id)
    _require_worker(actor, ticket)
    rules.check_status_change(ticket.status, status)
    if actor.role is Role.REGISTRAR and (ticket.status is not TicketStatus.WAITING_SCHOOL
                                         or status is not TicketStatus.OPEN):
        raise AccessDenied("学校只能把等待学校处理的工单交回客服。",
                           "A school can only hand back a ticket that waits on it.")
    note = clean_text(note, NOTE)
    moment = now or utcnow()
    old = ticket.status
    ticket.status = status
    if note:
        _note(session, actor, ticket, note, moment)
    _audit(session, actor, "ticket.status", ticket, old=old, new=status)
    session.flush()
    return _view(session, ticket, moment)


@allowed(*SUPPORT_ROLES)
def escalate_to_school(session: Session, actor: Actor, ticket_id: int, reason: str,
                       *, now: datetime | None = None) -> TicketRow:
    """转交学籍部门: the ticket waits on the school and shows in its registrar's list; the school's
    time to answer starts now. Escalating again (after an answer) starts a new round: the previous
    answer stays in the notes."""
    _require_support(actor)
    ticket = _load(session, ticket_id)
    rules.check_open(ticket.status)
    if ticket.school_id is None:
        raise InvalidInput("工单未关联学生，无法确定转交哪所学校；请先从学生查询关联学生。",
                           "The ticket has no student, so there is no school to escalate to.")
    reason = clean_text(reason, REASON)
    if not reason:
        raise InvalidInput("请填写转交原因。", "A reason is required to escalate.")
    moment = now or utcnow()
    ticket.escalated_to_school = True
    ticket.status = TicketStatus.WAITING_SCHOOL
    ticket.escalated_at = moment
    ticket.school_answer = None
    ticket.school_answer_text = ""
    ticket.school_answered_at = None
    ticket.school_answered_by = ""
    _note(session, actor, ticket, f"转交学籍部门：{reason}", moment)
    _audit(session, actor, "ticket.escalate", ticket, reason=reason)
    session.flush()
    return _view(session, ticket, moment)


@allowed(Role.REGISTRAR)
def answer_escalation(session: Session, actor: Actor, ticket_id: int, answer: SchoolAnswer | None, text: str,
                      *, now: datetime | None = None) -> TicketRow:
    """The school's registrar answers a ticket escalated to their school: a reply, 由学校解决 or
    需学生本人处理, each with its text. The ticket goes back to support (see
    ``rules.STATUS_AFTER_ANSWER``); the answer is kept on the ticket and in its notes.

    Once per escalation: the status moves only from 等待学校, in one conditional UPDATE, so two
    registrars answering at once leave one answer and a clear refusal for the other."""
    require_role(actor, Role.REGISTRAR)
    ticket = _load(session, ticket_id)
    _require_worker(actor, ticket)
    if answer is None:
        raise InvalidInput("请选择答复类型。", "Choose the kind of answer.")
    text = clean_text(text, ANSWER_TEXT)
    if not text:
        raise InvalidInput("请填写答复内容。", "The answer is empty.")
    rules.check_answerable(ticket.status)
    moment = now or utcnow()
    done = session.execute(
        update(SupportTicket)
        .where(SupportTicket.id == ticket.id, SupportTicket.status == TicketStatus.WAITING_SCHOOL)
        .values(status=rules.STATUS_AFTER_ANSWER, school_answer=answer, school_answer_text=text,
                school_answered_at=moment, school_answered_by=actor.name,
                due_at=rules.due_at(moment, ticket.priority))
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        session.refresh(ticket)
        rules.check_answerable(ticket.status)
    session.refresh(ticket)
    kind = rules.ANSWER_LABELS[answer][0]
    _note(session, actor, ticket, f"学校答复（{kind}）：{text}", moment)
    _audit(session, actor, "ticket.school_answer", ticket, answer=answer, text=text)
    session.flush()
    return _view(session, ticket, moment)


@allowed(*SUPPORT_ROLES)
def resolve(session: Session, actor: Actor, ticket_id: int, resolution: str,
            *, now: datetime | None = None) -> TicketRow:
    _require_support(actor)
    ticket = _load(session, ticket_id)
    rules.check_open(ticket.status)
    resolution = clean_text(resolution, RESOLUTION)
    if not resolution:
        raise InvalidInput("请填写处理结果。", "Say how the ticket was resolved.")
    moment = now or utcnow()
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = moment
    ticket.resolution = resolution
    _audit(session, actor, "ticket.resolve", ticket, resolution=resolution)
    session.flush()
    return _view(session, ticket, moment)


@allowed(*SUPPORT_ROLES)
def reopen(session: Session, actor: Actor, ticket_id: int, reason: str, *, now: datetime | None = None) -> TicketRow:
    """A caller rings back about a resolved problem: the ticket reopens with a fresh due time."""
    _require_support(actor)
    ticket = _load(session, ticket_id)
    if ticket.status is not TicketStatus.RESOLVED:
        raise InvalidInput("工单尚未解决，无需重新打开。", "The ticket is not resolved.")
    reason = clean_text(reason, REASON)
    if not reason:
        raise InvalidInput("请填写重新打开的原因。", "A reason is required to reopen.")
    moment = now or utcnow()
    ticket.status = TicketStatus.OPEN
    ticket.resolved_at = None
    ticket.due_at = rules.due_at(moment, ticket.priority)
    _note(session, actor, ticket, f"重新打开：{reason}", moment)
    _audit(session, actor, "ticket.reopen", ticket, reason=reason)
    session.flush()
    return _view(session, ticket, moment)


def _rows(session: Session, query: Select[Any], now: datetime) -> list[TicketRow]:
    hours = get_policy(session).escalation_answer_hours
    rows = []
    for ticket, assignee_name, student_name, school_name in session.execute(query):
        rows.append(TicketRow(
            id=ticket.id, number=ticket.number, subject=ticket.subject, category=ticket.category,
            priority=ticket.priority, status=ticket.status, channel=ticket.channel,
            caller_phone=ticket.caller_phone, created_at=ticket.created_at, due_at=ticket.due_at,
            resolved_at=ticket.resolved_at, overdue=rules.is_overdue(ticket.due_at, ticket.status, now),
            escalated_to_school=ticket.escalated_to_school, assignee_id=ticket.assignee_id,
            assignee_name=assignee_name, roster_record_id=ticket.roster_record_id,
            student_name=student_name, school_id=ticket.school_id, school_name=school_name,
            escalated_at=ticket.escalated_at, escalation_due_at=rules.escalation_due_at(ticket.escalated_at, hours),
            escalation_overdue=rules.is_escalation_overdue(ticket.escalated_at, ticket.status, hours, now),
            school_answer=ticket.school_answer, school_answered_at=ticket.school_answered_at,
        ))
    return rows


def _view(session: Session, ticket: SupportTicket, now: datetime) -> TicketRow:
    [row] = _rows(session, _listing(SupportTicket.id == ticket.id), now)
    return row


def _listing(*conditions: ColumnElement[bool]) -> Select[Any]:
    assignee = aliased(StaffUser)
    return (
        select(SupportTicket, assignee.display_name, RosterRecord.name, School.name)
        .outerjoin(assignee, SupportTicket.assignee_id == assignee.id)
        .outerjoin(RosterRecord, SupportTicket.roster_record_id == RosterRecord.id)
        .outerjoin(School, SupportTicket.school_id == School.id)
        .where(*conditions)
    )


@allowed(*SUPPORT_ROLES)
def queue(session: Session, actor: Actor, *, now: datetime | None = None, assignee_id: int | None = None,
          statuses: frozenset[TicketStatus] = rules.OPEN_STATUSES, limit: int = 500) -> list[TicketRow]:
    """Open tickets, soonest due first; overdue ones are marked."""
    _require_support(actor)
    conditions: list[ColumnElement[bool]] = [SupportTicket.status.in_(statuses)]
    if assignee_id is not None:
        conditions.append(SupportTicket.assignee_id == assignee_id)
    query = _listing(*conditions).order_by(SupportTicket.due_at, SupportTicket.id).limit(limit)
    return _rows(session, query, now or utcnow())


@allowed(*SUPPORT_ROLES)
def tickets_for_record(session: Session, actor: Actor, roster_record_id: int,
                       *, now: datetime | None = None) -> list[TicketRow]:
    _require_support(actor)
    query = _listing(SupportTicket.roster_record_id == roster_record_id).order_by(SupportTicket.created_at.desc())
    return _rows(session, query, now or utcnow())


@allowed(Role.REGISTRAR, *SUPPORT_ROLES)
def escalations_for_school(session: Session, actor: Actor, school_id: int, *, include_resolved: bool = False,
                           now: datetime | None = None) -> list[TicketRow]:
    """What support handed to this school's registrar, longest waiting first (so the overdue ones
    lead); ``include_resolved`` adds those already answered or closed."""
    require_role(actor, Role.REGISTRAR, *SUPPORT_ROLES)
    require_school(actor, school_id)
    conditions = [SupportTicket.school_id == school_id, SupportTicket.escalated_to_school.is_(True)]
    if not include_resolved:
        conditions.append(SupportTicket.status == TicketStatus.WAITING_SCHOOL)
    query = _listing(*conditions).order_by(SupportTicket.escalated_at.nulls_first(), SupportTicket.due_at,
                                           SupportTicket.id)
    return _rows(session, query, now or utcnow())


@allowed(Role.REGISTRAR, *SUPPORT_ROLES)
def detail(session: Session, actor: Actor, ticket_id: int, *, now: datetime | None = None) -> TicketDetail:
    ticket = _load(session, ticket_id)
    _require_worker(actor, ticket)
    row = _view(session, ticket, now or utcnow())
    notes = [NoteRow(n.author_name, n.body, n.created_at) for n in ticket.notes]
    return TicketDetail(row=row, resolution=ticket.resolution, notes=notes,
                        school_answer_text=ticket.school_answer_text, school_answered_by=ticket.school_answered_by)


@allowed(*SUPPORT_ROLES)
def find_by_number(session: Session, actor: Actor, number: str, *, now: datetime | None = None) -> TicketRow | None:
    _require_support(actor)
    number = clean_text(number, NUMBER)
    ticket_id = rules.ticket_id_from_number(number)
    if ticket_id is None:
        return None
    ticket = session.get(SupportTicket, ticket_id)
    if ticket is None or ticket.number.upper() != number.upper():
        return None
    return _view(session, ticket, now or utcnow())


@allowed(*SUPPORT_ROLES)
def support_staff(session: Session, actor: Actor) -> list[StaffChoice]:
    """Who a ticket can be assigned to."""
    _require_support(actor)
    return [StaffChoice(user_id, name) for user_id, name in session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.active.is_(True),
                                                           StaffUser.role.in_(SUPPORT_ROLES))
        .order_by(StaffUser.display_name)
    )]


@dataclass(frozen=True)
class DayCount:
    day: date
    opened: int
    resolved: int


@dataclass(frozen=True)
class TicketDashboard:
    days: list[DayCount]
    """Every day of the period, oldest first, zero-filled."""
    by_category: dict[TicketCategory, tuple[int, int]]
    """Per category: tickets opened in the period, and of all tickets those still open."""
    median_resolve_seconds: float | None
    resolved_in_period: int
    open_now: int
    overdue_now: int
    oldest_open: TicketRow | None


def _china_day(session: Session, column: SQLColumnExpression[datetime | None]) -> ColumnElement[str]:
    """The Asia/Shanghai calendar day of a stored UTC timestamp, as 'YYYY-MM-DD' text."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, "+8 hours")  # China has no daylight saving time


def _seconds(session: Session, start: SQLColumnExpression[datetime], end: SQLColumnExpression[datetime | None]) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


@allowed(*SUPPORT_ROLES)
def dashboard(session: Session, actor: Actor, *, days: int = 14, now: datetime | None = None) -> TicketDashboard:
    _require_support(actor)
    moment = now or utcnow()
    last_day = moment.astimezone(CHINA).date()
    first_day = last_day - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=CHINA)

    def per_day(column: SQLColumnExpression[datetime | None]) -> dict[str, int]:
        day = _china_day(session, column)
        query = select(day, func.count(SupportTicket.id)).where(column >= since).group_by(day)
        return {str(d): int(n) for d, n in session.execute(query)}

    opened, resolved = per_day(SupportTicket.created_at), per_day(SupportTicket.resolved_at)
    series = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        key = day.isoformat()
        series.append(DayCount(day, opened.get(key, 0), resolved.get(key, 0)))

    open_filter = SupportTicket.status.in_(rules.OPEN_STATUSES)
    in_period = session.execute(
        select(SupportTicket.category, func.count(SupportTicket.id))
        .where(SupportTicket.created_at >= since).group_by(SupportTicket.category)
    ).tuples().all()
    still_open = session.execute(
        select(SupportTicket.category, func.count(SupportTicket.id)).where(open_filter).group_by(SupportTicket.category)
    ).tuples().all()
    opened_by, open_by = dict(in_period), dict(still_open)
    by_category = {c: (int(opened_by.get(c, 0)), int(open_by.get(c, 0))) for c in TicketCategory
                   if opened_by.get(c) or open_by.get(c)}

    duration = _seconds(session, SupportTicket.created_at, SupportTicket.resolved_at)
    resolved_filter = (SupportTicket.status == TicketStatus.RESOLVED, SupportTicket.resolved_at >= since)
    count = int(session.scalar(select(func.count(SupportTicket.id)).where(*resolved_filter)) or 0)
    median = None
    if count:
        middle = session.scalars(
            select(duration).where(*resolved_filter).order_by(duration)
            .offset((count - 1) // 2).limit(2 if count % 2 == 0 else 1)
        ).all()
        median = sum(float(v) for v in middle) / len(middle)

    open_now = int(session.scalar(select(func.count(SupportTicket.id)).where(open_filter)) or 0)
    overdue_now = int(session.scalar(
        select(func.count(SupportTicket.id)).where(open_filter, SupportTicket.due_at < moment)) or 0)
    oldest = _rows(session, _listing(open_filter).order_by(SupportTicket.created_at, SupportTicket.id).limit(1), moment)
    return TicketDashboard(
        days=series, by_category=by_category, median_resolve_seconds=median, resolved_in_period=count,
        open_now=open_now, overdue_now=overdue_now, oldest_open=oldest[0] if oldest else None,
    )
