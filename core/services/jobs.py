"""Background jobs: our ``ProcessingJob`` row is the truth; the queue only carries wake-ups.

The row is written in the caller's transaction and a message is sent only after that transaction
commits (through the ``JobQueue`` port the worker installs; services never import the worker). A
worker *claims* a job with a lease (its id and an expiry its heartbeat renews) and a fencing token
that grows with every claim. It writes the result in the same transaction that proves the lease is
still its own (``hold``), so a worker whose lease ran out cannot commit a stale result. A reaper in
every worker puts jobs whose lease expired back on the queue, and fails them for good, with the
reason, once they have used their attempts; the student's standardisation is then given back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, delete, event, func, or_, select, update
from sqlalchemy.orm import Session

from core.config import settings
from core.domain.access import Actor, allowed, internal, require_role
from core.domain.enums import JobStatus, QuotaEntryType, QuotaKind, Role
from core.errors import Conflict, NotFound
from core.models import ProcessingJob, QuotaEntry, Submission, WorkerHeartbeat, utcnow
from core.services import audit, quotas

log = logging.getLogger(__name__)

PROCESS_SUBMISSION = "process_submission"
PROCESS_ENROLMENT = "process_enrolment"
KINDS = (PROCESS_SUBMISSION, PROCESS_ENROLMENT)
SYSTEM = Actor.system("worker")


class JobQueue(Protocol):
    """How a committed job reaches a worker. ``core.worker`` installs its Huey queue; tests and the
    demo install an inline runner (``processing.InlineQueue``)."""

    def send(self, job_id: int) -> None: ...

    def backlog(self) -> int | None:
        """Messages waiting in the queue, None when it cannot be read."""
        ...


class _RowsOnly:
    """Before any queue is installed the row simply waits: every worker's sweep finds it."""

    def send(self, job_id: int) -> None:
        return None

    def backlog(self) -> int | None:
        return None


_queue: JobQueue = _RowsOnly()


@internal
def use_queue(queue: JobQueue | None) -> None:
    """Installs the queue committed jobs are sent to (None: rows only, the workers' sweep finds them)."""
    global _queue
    _queue = queue if queue is not None else _RowsOnly()


@internal
def current_queue() -> JobQueue:
    return _queue


@dataclass(frozen=True)
class Claim:
    """One worker's hold on one job: valid while the row still carries this fence and is running."""

    job_id: int
    kind: str
    subject_id: int
    fence: int
    attempt: int
    worker_id: str


class LeaseLost(Exception):
    """The job is no longer this worker's (its lease ran out and it was reaped or claimed again):
    whatever it computed must not be committed."""


def _lease() -> timedelta:
    return timedelta(seconds=settings().job_lease_seconds)


@internal
def enqueue_after_commit(session: Session, kind: str, subject_id: int) -> ProcessingJob:
    job = ProcessingJob(kind=kind, subject_id=subject_id, attempt_limit=settings().job_attempts)
    session.add(job)
    session.flush()
    _send_after_commit(session, job.id)
    return job


def _send_after_commit(session: Session, job_id: int) -> None:
    @event.listens_for(session, "after_commit", once=True)
    def _send(_session: Session) -> None:
        try:
            _queue.send(job_id)
        except Exception:
            log.exception("job %s committed but not sent; the sweep will pick it up", job_id)


def _claimable(now: datetime, respect_delay: bool) -> ColumnElement[bool]:
    condition = ProcessingJob.status == JobStatus.QUEUED
    if respect_delay:
        condition = condition & or_(ProcessingJob.available_at.is_(None), ProcessingJob.available_at <= now)
    return condition


@internal
def claim(session: Session, worker_id: str, job_id: int | None = None, *, now: datetime | None = None,
          lease: timedelta | None = None, respect_delay: bool = True, only: bool = False) -> Claim | None:
    """Takes ``job_id`` if it is waiting; otherwise (or with None) the oldest waiting job, since
    every message is just a wake-up (``only``: that job or none). None when nothing is waiting."""
    moment = now or utcnow()
    job = None
    if job_id is not None:
        job = session.scalars(select(ProcessingJob).where(ProcessingJob.id == job_id, _claimable(moment, respect_delay))
                              .with_for_update(skip_locked=True)).first()
    if job is None and not (only and job_id is not None):
        job = session.scalars(select(ProcessingJob).where(_claimable(moment, respect_delay))
                              .order_by(ProcessingJob.id).limit(1).with_for_update(skip_locked=True)).first()
    if job is None:
        return None
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.fence += 1
    job.lease_owner = worker_id
    job.lease_expires_at = moment + (lease or _lease())
    job.available_at = None
    session.flush()
    return Claim(job.id, job.kind, job.subject_id, job.fence, job.attempts, worker_id)


@internal
def renew(session: Session, held: Claim, *, now: datetime | None = None, lease: timedelta | None = None) -> bool:
    """The heartbeat: extends the lease; False when the job was taken from this worker."""
    result = session.execute(
        update(ProcessingJob)
        .where(ProcessingJob.id == held.job_id, ProcessingJob.fence == held.fence,
               ProcessingJob.status == JobStatus.RUNNING)
        .values(lease_expires_at=(now or utcnow()) + (lease or _lease()))
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


@internal
def hold(session: Session, held: Claim) -> ProcessingJob:
    """Inside the transaction that writes a job's result: locks the row (first, so every writer
    takes the locks in the same order) and proves the lease is still this worker's."""
    job = session.scalars(select(ProcessingJob).where(ProcessingJob.id == held.job_id)
                          .with_for_update().execution_options(populate_existing=True)).first()
    if job is None or job.status is not JobStatus.RUNNING or job.fence != held.fence:
        raise LeaseLost(f"job {held.job_id}: fence {held.fence} is no longer current")
    return job


def _clear_lease(job: ProcessingJob) -> None:
    job.lease_owner = None
    job.lease_expires_at = None


@internal
def complete(session: Session, held: Claim, *, now: datetime | None = None) -> None:
    """Marks the job done in the transaction that wrote its result."""
    job = hold(session, held)
    job.status = JobStatus.DONE
    job.error = None
    job.finished_at = now or utcnow()
    _clear_lease(job)


@internal
def record_failure(session: Session, held: Claim, error: str, *, retry_delay: timedelta,
                   now: datetime | None = None) -> JobStatus:
    """An attempt raised: queued again after ``retry_delay``, or failed for good after the last attempt."""
    moment = now or utcnow()
    job = hold(session, held)
    job.error = error
    _clear_lease(job)
    if job.attempts >= job.attempt_limit:
        _fail(session, job, moment)
    else:
        job.status = JobStatus.QUEUED
        job.available_at = moment + retry_delay
    return job.status


@internal
def release(session: Session, held: Claim) -> bool:
    """A stopping worker hands back the job in hand; the attempt does not count against it."""
    try:
        job = hold(session, held)
    except LeaseLost:
        return False
    job.status = JobStatus.QUEUED
    job.attempts -= 1
    _clear_lease(job)
    return True


@internal
def reap(session: Session, *, now: datetime | None = None) -> list[int]:
    """Jobs whose lease ran out (their worker was killed, lost power or hung) go back on the queue,
    or end failed with the reason once they used their attempts. Returns the ids queued again."""
    moment = now or utcnow()
    expired = session.scalars(
        select(ProcessingJob)
        .where(ProcessingJob.status == JobStatus.RUNNING,
               or_(ProcessingJob.lease_expires_at.is_(None), ProcessingJob.lease_expires_at < moment))
        .order_by(ProcessingJob.id).with_for_update(skip_locked=True)).all()
    queued = []
    for job in expired:
        owner = job.lease_owner or "?"
        _clear_lease(job)
        if job.attempts >= job.attempt_limit:
            job.error = (f"WorkerLost: the worker stopped during each of {job.attempts} attempts "
                         f"(last: {owner}); the job may crash its worker.")
            _fail(session, job, moment)
        else:
            job.error = f"WorkerLost: worker {owner} stopped during attempt {job.attempts}; queued again."
            job.status = JobStatus.QUEUED
            queued.append(job.id)
    session.flush()
    return queued


@internal
def waiting_count(session: Session, *, now: datetime | None = None) -> int:
    """Jobs a worker could claim now (the sweep makes sure the queue holds a message for each)."""
    return int(session.scalar(select(func.count(ProcessingJob.id)).where(_claimable(now or utcnow(), True))) or 0)


def _fail(session: Session, job: ProcessingJob, moment: datetime) -> None:
    job.status = JobStatus.FAILED
    job.finished_at = moment
    _settle_charge(session, job, charged=False, reason="标准化未完成，退回当日次数")


def _settle_charge(session: Session, job: ProcessingJob, *, charged: bool, reason: str) -> None:
    """The student's daily standardisation counts only for work that finished: a job failed for good
    gives it back, an admin's retry takes it again. Idempotent: it looks at the net charge first, and
    books on the day of the original charge."""
    if job.kind != PROCESS_SUBMISSION:
        return
    submission = session.get(Submission, job.subject_id)
    if submission is None:
        return
    entries = list(session.scalars(select(QuotaEntry).where(
        QuotaEntry.submission_id == submission.id, QuotaEntry.kind == QuotaKind.STANDARDISATION,
        QuotaEntry.entry_type == QuotaEntryType.USE).order_by(QuotaEntry.id)))
    if not entries:
        return
    net = sum(entry.amount for entry in entries)
    if (net > 0) == charged:
        return
    quotas.add_entry(session, submission.roster_record_id, QuotaKind.STANDARDISATION, QuotaEntryType.USE, actor=SYSTEM,
                     reason=reason, submission_id=submission.id, amount=1 if charged else -1,
                     now=entries[0].created_at)


@allowed(Role.ADMIN)
def retry(session: Session, actor: Actor, job_id: int) -> None:
    """The operations view's retry button for a job that failed for good: a fresh set of attempts."""
    require_role(actor, Role.ADMIN)
    job = session.get(ProcessingJob, job_id)
    if job is None:
        raise NotFound("任务不存在。", "No such job.")
    if job.status is not JobStatus.FAILED:
        raise Conflict("只有失败的任务可以重试。", "Only failed jobs can be retried.")
    job.status = JobStatus.QUEUED
    job.error = None
    job.available_at = None
    job.finished_at = None
    job.attempt_limit = job.attempts + settings().job_attempts
    _settle_charge(session, job, charged=True, reason="管理员重试处理任务")
    audit.record(session, actor, "job.retry", "processing_job", job.id, kind=job.kind)
    session.flush()
    _send_after_commit(session, job.id)


# ---------------------------------------------------------------- live workers


@internal
def beat(session: Session, worker_id: str, *, hostname: str, pid: int, queue: str, current_job_id: int | None,
         jobs_done: int, stopping: bool = False, now: datetime | None = None) -> None:
    """A worker says it is alive (and what it holds), every heartbeat."""
    moment = now or utcnow()
    row = session.get(WorkerHeartbeat, worker_id)
    if row is None:
        row = WorkerHeartbeat(worker_id=worker_id, hostname=hostname[:255], pid=pid, queue=queue[:32],
                              started_at=moment)
        session.add(row)
    row.last_seen_at = moment
    row.current_job_id = current_job_id
    row.jobs_done = jobs_done
    row.stopping = stopping


@internal
def forget_worker(session: Session, worker_id: str) -> None:
    """A worker that stopped cleanly leaves the list at once."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))


@internal
def forget_dead_workers(session: Session, *, older_than: timedelta, now: datetime | None = None) -> None:
    """Killed workers never say goodbye; after a while they leave the list."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen_at < (now or utcnow()) - older_than))
