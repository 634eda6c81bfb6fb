"""The operations view: is the worker keeping up, what failed and why, how big the data is.

Job health is read from our ``ProcessingJob`` rows (they outlive the queue), and the queue backlog
from Huey itself; a job waiting longer than ``STALLED_AFTER`` with nothing running means no worker
is taking work.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import core
from core.config import PROJECT_ROOT
from core.domain.access import Actor, allowed, internal, require_role
from core.domain.enums import JobStatus, Role
from core.models import ProcessingJob, utcnow
from core.storage.photos import PhotoStore

STALLED_AFTER = timedelta(minutes=5)
FAILED_SHOWN = 200


@dataclass(frozen=True)
class FailedJob:
    id: int
    kind: str
    subject_id: int
    attempts: int
    error: str
    failed_at: datetime


@dataclass(frozen=True)
class Health:
    jobs_by_status: dict[JobStatus, int]
    oldest_waiting_since: datetime | None
    queue_backlog: int | None
    """Messages waiting in the Huey queue; None when the queue cannot be read from here."""
    failed: list[FailedJob]
    database_bytes: int
    photo_store_bytes: int
    version: str

    @property
    def worker_stalled(self) -> bool:
        waiting = self.oldest_waiting_since
        return (waiting is not None and utcnow() - waiting > STALLED_AFTER
                and self.jobs_by_status[JobStatus.RUNNING] == 0)


@internal
def database_bytes(session: Session) -> int:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        pages = session.execute(text("PRAGMA page_count")).scalar_one()
        size = session.execute(text("PRAGMA page_size")).scalar_one()
        return int(pages) * int(size)
    if dialect == "postgresql":
        return int(session.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    raise NotImplementedError(dialect)


def _queue_backlog() -> int | None:
    from core.worker import huey

    try:
        return int(huey.pending_count())
    except Exception:
        return None


@internal
def version() -> str:
    """The release, plus the commit when running from a checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return core.__version__
    return f"{core.__version__} ({commit})"


@allowed(Role.ADMIN)
def health(session: Session, actor: Actor, store: PhotoStore) -> Health:
    require_role(actor, Role.ADMIN)
    counts = dict(session.execute(
        select(ProcessingJob.status, func.count(ProcessingJob.id)).group_by(ProcessingJob.status)).tuples().all())
    oldest = session.scalar(select(func.min(ProcessingJob.created_at)).where(
        ProcessingJob.status == JobStatus.QUEUED))
    failed = session.scalars(select(ProcessingJob).where(ProcessingJob.status == JobStatus.FAILED)
                             .order_by(ProcessingJob.updated_at.desc(), ProcessingJob.id.desc())
                             .limit(FAILED_SHOWN))
    return Health(
        jobs_by_status={status: int(counts.get(status, 0)) for status in JobStatus},
        oldest_waiting_since=oldest,
        queue_backlog=_queue_backlog(),
        failed=[FailedJob(job.id, job.kind, job.subject_id, job.attempts, job.error or "", job.updated_at)
                for job in failed],
        database_bytes=database_bytes(session),
        photo_store_bytes=store.total_bytes(),
        version=version(),
    )
