"""Writing and reading the append-only audit log.

This module only ever adds events and reads them: there is no edit or delete here, and the model
refuses both (``core.models.system``), so nothing in the application can rewrite history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core import export as files
from core.domain.access import Actor, allowed, internal, pure, require_role
from core.domain.audit_words import Party, Subject, action_name, sentence
from core.domain.enums import ActorKind, Role
from core.domain.text import SEARCH_MAX, Field, clean_text, escape_like
from core.errors import InvalidInput
from core.models import AuditEvent, RosterRecord, School, StaffUser
from core.services._views import view_of

MAX_PAGE_SIZE = 500
EXPORT_LIMIT = 100_000
"""An export is one file in memory; past this the admin narrows the filter."""


@internal
def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    school_id: int | None = None,
    roster_record_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        school_id=school_id,
        roster_record_id=roster_record_id,
        detail={k: plain(v) for k, v in detail.items()},
    )
    session.add(event)
    return event


@pure
def plain(value: Any) -> Any:
    """A value as JSON can hold it (enums by value, dates as ISO text)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "value"):
        return value.value
    return value


@internal
def events_for(session: Session, *, entity_type: str | None = None, entity_id: int | None = None,
               roster_record_id: int | None = None, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if entity_type is not None:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if roster_record_id is not None:
        query = query.where(AuditEvent.roster_record_id == roster_record_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))


@dataclass(frozen=True)
class AuditFilter:
    """What the admin narrows the log by; empty fields do not filter."""

    actor: str = ""
    """Part of the actor's name (staff display name, student nickname, system job)."""
    student: str = ""
    """A student number or full name from the roster."""
    school_id: int | None = None
    action: str = ""
    """An exact action (``task.update``) or a family (``task.``)."""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditEventView:
    """One stored event, as read: the log page and its exports never hold the row itself."""

    id: int
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: int | None
    school_id: int | None
    roster_record_id: int | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventView:
        return view_of(cls, event, detail=dict(event.detail or {}))


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEventView]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


ACTOR = Field("操作人", "Actor", SEARCH_MAX)
STUDENT = Field("学生（学号或姓名）", "Student (number or name)", SEARCH_MAX)
ACTION = Field("操作", "Action", SEARCH_MAX)


def _filtered(filters: AuditFilter) -> Select[Any]:
    query = select(AuditEvent)
    actor, wanted = clean_text(filters.actor, ACTOR), clean_text(filters.student, STUDENT)
    action = clean_text(filters.action, ACTION)
    if actor:
        query = query.where(AuditEvent.actor_name.icontains(escape_like(actor), escape="\\"))
    if wanted:
        records = select(RosterRecord.id).where(
            or_(RosterRecord.student_number == wanted, RosterRecord.name == wanted))
        query = query.where(AuditEvent.roster_record_id.in_(records))
    if filters.school_id is not None:
        query = query.where(AuditEvent.school_id == filters.school_id)
    if action.endswith("."):
        query = query.where(AuditEvent.action.startswith(escape_like(action), escape="\\"))
    elif action:
        query = query.where(AuditEvent.action == action)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    return query


@allowed(Role.ADMIN)
def query(session: Session, actor: Actor, filters: AuditFilter, *, page: int = 1,
          page_size: int = 50) -> AuditPage:
    """Newest first, one page at a time, counted and sliced in SQL."""
    require_role(actor, Role.ADMIN)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    base = _filtered(filters)
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = session.scalars(
        base.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(page_size).offset((page - 1) * page_size)
    )
    return AuditPage(events=[AuditEventView.of(row) for row in rows], total=total, page=page, page_size=page_size)


@allowed(Role.ADMIN)
def actions(session: Session, actor: Actor) -> list[str]:
    """The actions that occur in the log, for the filter's choices."""
    require_role(actor, Role.ADMIN)
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


@dataclass(frozen=True)
class AuditLine:
    """One event as the log page shows it: a sentence per language, the raw event folded beside it."""

    id: int
    at: datetime
    sentence_zh: str
    sentence_en: str
    action: str
    action_zh: str
    action_en: str
    school_name: str
    raw: dict[str, Any]
    """The stored event (action code, actor, entity, detail) for the detail fold."""

    def sentence(self, lang: str) -> str:
        return self.sentence_zh if lang == "zh" else self.sentence_en

    def action_name(self, lang: str) -> str:
        return self.action_zh if lang == "zh" else self.action_en


@allowed(Role.ADMIN)
def lines(session: Session, actor: Actor, events: list[AuditEventView]) -> list[AuditLine]:
    """``events`` as sentences, with the names they refer to looked up in one query per kind."""
    require_role(actor, Role.ADMIN)
    staff_ids = {e.actor_id for e in events if e.actor_kind == ActorKind.STAFF and e.actor_id is not None}
    staff_ids |= {e.entity_id for e in events if e.entity_type == "staff_user" and e.entity_id is not None}
    staff = {u.id: u for u in session.scalars(select(StaffUser).where(StaffUser.id.in_(staff_ids)))} if staff_ids else {}
    record_ids = {e.roster_record_id for e in events if e.roster_record_id is not None}
    records = {r.id: r for r in session.scalars(select(RosterRecord).where(RosterRecord.id.in_(record_ids)))} \
        if record_ids else {}
    school_ids = {e.school_id for e in events if e.school_id is not None}
    school_ids |= {e.entity_id for e in events if e.entity_type == "school" and e.entity_id is not None}
    school_names = {i: n for i, n in session.execute(select(School.id, School.name).where(School.id.in_(school_ids)))} \
        if school_ids else {}
    result = []
    for event in events:
        user = staff.get(event.actor_id) if event.actor_kind == ActorKind.STAFF and event.actor_id is not None else None
        party = Party(event.actor_kind, event.actor_name, user.role if user is not None else None)
        result.append(_line(event, party, _subject(event, records, school_names, staff), school_names))
    return result


def _subject(event: AuditEventView, records: dict[int, RosterRecord], school_names: dict[int, str],
             staff: dict[int, StaffUser]) -> Subject:
    record = records.get(event.roster_record_id) if event.roster_record_id is not None else None
    label = ""
    if event.entity_type == "school" and event.entity_id in school_names:
        label = school_names[event.entity_id]
    elif event.entity_type == "staff_user" and event.entity_id in staff:
        label = staff[event.entity_id].display_name
    elif event.entity_type == "support_ticket" and event.detail.get("number"):
        label = str(event.detail["number"])
    return Subject(event.entity_type, event.entity_id, record.name if record else "",
                   record.student_number if record else "", label)


def _line(event: AuditEventView, party: Party, subject: Subject, school_names: dict[int, str]) -> AuditLine:
    return AuditLine(
        id=event.id, at=event.at, sentence_zh=sentence(party, event.action, subject, "zh"),
        sentence_en=sentence(party, event.action, subject, "en"), action=event.action,
        action_zh=action_name(event.action, "zh"), action_en=action_name(event.action, "en"),
        school_name=school_names.get(event.school_id, "") if event.school_id is not None else "",
        raw={"action": event.action, "actor_kind": event.actor_kind.value, "actor_id": event.actor_id,
             "entity": f"{event.entity_type} #{event.entity_id}" if event.entity_id else event.entity_type,
             "roster_record_id": event.roster_record_id, "detail": event.detail},
    )


EXPORT_COLUMNS = ("id", "at", "actor_kind", "actor_id", "actor_name", "action", "entity_type", "entity_id",
                  "school_id", "roster_record_id", "detail")


def _row(event: AuditEvent) -> list[Any]:
    return [event.id, event.at.isoformat(), event.actor_kind.value, event.actor_id, event.actor_name, event.action,
            event.entity_type, event.entity_id, event.school_id, event.roster_record_id,
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True)]


@allowed(Role.ADMIN)
def export(session: Session, actor: Actor, filters: AuditFilter, fmt: str) -> bytes:
    """The filtered log as CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX. The export itself
    is audited: a copy of the log leaving the system is a staff action like any other."""
    require_role(actor, Role.ADMIN)
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput(f"不支持的导出格式：{fmt}", f"Unsupported export format: {fmt}")
    base = _filtered(filters)
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    if total > EXPORT_LIMIT:
        raise InvalidInput(f"符合条件的记录有 {total:,} 条，超过导出上限 {EXPORT_LIMIT:,} 条，请缩小筛选范围。",
                           f"{total:,} events match, over the export limit of {EXPORT_LIMIT:,}; narrow the filter.")
    rows = (_row(e) for e in session.scalars(base.order_by(AuditEvent.at, AuditEvent.id)
                                             .execution_options(yield_per=1000)))
    data = files.table_bytes(fmt, "audit", EXPORT_COLUMNS, rows)
    record(session, actor, "audit.export", "audit_event", None, format=fmt, rows=total,
           filters={"actor": filters.actor, "student": filters.student, "school_id": filters.school_id,
                    "action": filters.action, "since": filters.since, "until": filters.until})
    session.flush()
    return data
