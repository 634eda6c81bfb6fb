"""The audit log, policy settings with their history, processing jobs, workers and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from core.domain.enums import ActorKind, JobStatus
from core.errors import AccessDenied
from core.models.base import Base, enum_column, utcnow


class AuditEvent(Base):
    """Append-only: who did what to which record, when. The ORM refuses updates and deletes."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_kind: Mapped[ActorKind] = mapped_column(enum_column(ActorKind, length=16))
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    school_id: Mapped[int | None] = mapped_column(index=True)
    roster_record_id: Mapped[int | None] = mapped_column(index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_audit_actor", "actor_kind", "actor_id"),)


def _refuse_change(*_: object) -> None:
    raise AccessDenied("审计日志不可修改或删除。", "The audit log cannot be changed or deleted.")


event.listen(AuditEvent, "before_update", _refuse_change)
event.listen(AuditEvent, "before_delete", _refuse_change)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: ORMExecuteState) -> None:
    """Bulk ``update(AuditEvent)`` / ``delete(AuditEvent)`` bypass the per-object hooks above."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is AuditEvent:
        _refuse_change()


class PolicySetting(Base):
    __tablename__ = "policy_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class PolicyChange(Base):
    __tablename__ = "policy_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessingJob(Base):
    """Our record of a background job, so a failure is shown with its error and never lost.

    The row, not the queue message, is the truth: a worker *claims* it with a lease (owner and
    expiry, renewed by a heartbeat) and a fencing token that grows with every claim; a worker whose
    lease ran out cannot commit its result, and a reaper puts the job back on the queue.
    """

    __tablename__ = "processing_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # process_submission, process_enrolment
    subject_id: Mapped[int] = mapped_column(index=True)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    attempt_limit: Mapped[int] = mapped_column(default=3)
    fence: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    available_at: Mapped[datetime | None]
    """A retry after an error waits until then; None means at once."""
    finished_at: Mapped[datetime | None]


class WorkerHeartbeat(Base):
    """A live worker process, renewed every heartbeat, so the operations page can show who works."""

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    queue: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    current_job_id: Mapped[int | None]
    jobs_done: Mapped[int] = mapped_column(default=0)
    stopping: Mapped[bool] = mapped_column(default=False)


class OutboxMessage(Base):
    """A side effect (a message to a student, any call out) written in the transaction that caused
    it and delivered only after that transaction committed; ``key`` makes delivery idempotent."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
