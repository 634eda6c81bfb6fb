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
from core.domain.enums import Role
from core.domain.text import SEARCH_MAX, Field, clean_text, escape_like
from core.errors import InvalidInput
from core.models import AuditEvent, RosterRecord

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
class AuditPage:
    events: list[AuditEvent]
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
    return AuditPage(events=list(rows), total=total, page=page, page_size=page_size)


@allowed(Role.ADMIN)
def actions(session: Session, actor: Actor) -> list[str]:
    """The actions that occur in the log, for the filter's choices."""
    require_role(actor, Role.ADMIN)
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


EXPORT_COLUMNS = ("id", "at", "actor_kind", "actor_id", "actor_name", "action", "entity_type", "entity_id",
                  "school_id", "roster_record_id", "detail")


def _row(event: AuditEvent) -> list[Any]:
    return [event.id, event.at.isoformat(), event.actor_kind, event.actor_id, event.actor_name, event.action,
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
