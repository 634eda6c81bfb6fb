"""The operations view: is the worker keeping up, what failed and why, how big the data is.

Job health is read from our ``ProcessingJob`` rows (they outlive the queue) and the workers'
heartbeats, and the queue backlog through the services' queue port. Stalled jobs have waited longer
than ``STALLED_AFTER``; orphaned ones are marked running but their worker's lease ran out (it was
killed; a live worker's reaper puts them back on the queue within seconds).
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

import core
from core.config import PROJECT_ROOT, settings
from core.domain.access import Actor, allowed, internal, require_role
from core.domain.enums import JobStatus, Role
from core.models import ProcessingJob, WorkerHeartbeat, utcnow
from core.services import jobs
from core.storage.photos import PhotoStore

STALLED_AFTER = timedelta(minutes=5)
FAILED_SHOWN = 200
TROUBLE_SHOWN = 100


@dataclass(frozen=True)
class LiveWorker:
    worker_id: str
    hostname: str
    pid: int
    queue: str
    started_at: datetime
    last_seen_at: datetime
    current_job_id: int | None
    jobs_done: int
    stopping: bool


@dataclass(frozen=True)
class TroubledJob:
    """A job stalled in the queue or orphaned by a dead worker."""

    id: int
    kind: str
    subject_id: int
    attempts: int
    since: datetime
    worker: str | None
    error: str


@dataclass(frozen=True)
class FailedJob:
    id: int
    kind: str
    subject_id: int
    attempts: int
    error: str
    failed_at: datetime


@dataclass(frozen=True)
class StoreSize:
    """The photo store's size when it was last measured (walking it takes long on a full store)."""

    total_bytes: int
    measured_at: datetime


_store_sizes: dict[str, StoreSize] = {}
"""The last measurement of each photo store (by its folder) in this process."""


@dataclass(frozen=True)
class Health:
    jobs_by_status: dict[JobStatus, int]
    oldest_waiting_since: datetime | None
    queue_backlog: int | None
    """Messages waiting in the Huey queue; None when the queue cannot be read from here."""
    failed: list[FailedJob]
    stalled: list[TroubledJob]
    """Waiting longer than ``STALLED_AFTER``."""
    orphaned: list[TroubledJob]
    """Marked running, but the worker's lease ran out: it died with the job in hand."""
    workers: list[LiveWorker]
    """Workers whose heartbeat is recent."""
    database_bytes: int
    photo_store: StoreSize | None
    """The last measurement, with its time; None until an admin measures it."""
    version: str

    @property
    def worker_stalled(self) -> bool:
        waiting = self.oldest_waiting_since
        return waiting is not None and utcnow() - waiting > STALLED_AFTER and not self.workers


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
    try:
        return jobs.current_queue().backlog()
    except Exception:  # an unreachable Redis must not take the page down
        return None


@internal
def live_workers(session: Session, *, now: datetime | None = None) -> list[LiveWorker]:
    """Workers seen within three heartbeats (at least 10 s)."""
    horizon = (now or utcnow()) - timedelta(seconds=max(10.0, 3 * settings().worker_heartbeat_seconds))
    return [LiveWorker(w.worker_id, w.hostname, w.pid, w.queue, w.started_at, w.last_seen_at, w.current_job_id,
                       w.jobs_done, w.stopping)
            for w in session.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.last_seen_at >= horizon)
                                     .order_by(WorkerHeartbeat.started_at))]


def _troubled(job: ProcessingJob, since: datetime) -> TroubledJob:
    return TroubledJob(job.id, job.kind, job.subject_id, job.attempts, since, job.lease_owner, job.error or "")


@internal
@functools.cache
def version() -> str:
    """The release, plus the commit when running from a checkout; asked of git once per process."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return core.__version__
    return f"{core.__version__} ({commit})"


@allowed(Role.ADMIN)
def measure_photo_store(actor: Actor, store: PhotoStore, *, now: datetime | None = None) -> StoreSize:
    """Walks the whole store once, on an admin's request, and keeps the figure for later renders."""
    require_role(actor, Role.ADMIN)
    measured = StoreSize(store.total_bytes(), now or utcnow())
    _store_sizes[store.location] = measured
    return measured


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
    now = utcnow()
    stalled = session.scalars(select(ProcessingJob).where(
        ProcessingJob.status == JobStatus.QUEUED, ProcessingJob.created_at < now - STALLED_AFTER)
        .order_by(ProcessingJob.created_at, ProcessingJob.id).limit(TROUBLE_SHOWN))
    orphaned = session.scalars(select(ProcessingJob).where(
        ProcessingJob.status == JobStatus.RUNNING,
        or_(ProcessingJob.lease_expires_at.is_(None), ProcessingJob.lease_expires_at < now))
        .order_by(ProcessingJob.id).limit(TROUBLE_SHOWN))
    return Health(
        jobs_by_status={status: int(counts.get(status, 0)) for status in JobStatus},
        oldest_waiting_since=oldest,
        queue_backlog=_queue_backlog(),
        failed=[FailedJob(job.id, job.kind, job.subject_id, job.attempts, job.error or "", job.updated_at)
                for job in failed],
        stalled=[_troubled(job, job.created_at) for job in stalled],
        orphaned=[_troubled(job, job.lease_expires_at or job.updated_at) for job in orphaned],
        workers=live_workers(session, now=now),
        database_bytes=database_bytes(session),
        photo_store=_store_sizes.get(store.location),
        version=version(),
    )
