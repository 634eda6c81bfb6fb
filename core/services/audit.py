"""Writing and reading the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.access import Actor
from core.models import AuditEvent


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
        detail={k: _plain(v) for k, v in detail.items()},
    )
    session.add(event)
    return event


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


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
