"""Background jobs: a ``ProcessingJob`` row we own (status, attempts, error) plus a Huey task.

The row is written in the caller's transaction and the task is sent only after that transaction
commits, so a worker never looks for a submission that is not there yet, and a job that fails for
good stays visible with its error instead of vanishing from the queue.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.domain.access import Actor, allowed, internal, require_role
from core.domain.enums import JobStatus, Role
from core.errors import Conflict, NotFound
from core.models import ProcessingJob
from core.services import audit

PROCESS_SUBMISSION = "process_submission"
PROCESS_ENROLMENT = "process_enrolment"
KINDS = (PROCESS_SUBMISSION, PROCESS_ENROLMENT)


@internal
def enqueue_after_commit(session: Session, kind: str, subject_id: int) -> ProcessingJob:
    job = ProcessingJob(kind=kind, subject_id=subject_id)
    session.add(job)
    session.flush()
    _send_after_commit(session, job.id)
    return job


def _send_after_commit(session: Session, job_id: int) -> None:
    @event.listens_for(session, "after_commit", once=True)
    def _send(_session: Session) -> None:
        from core import worker

        worker.send(job_id)


@allowed(Role.ADMIN)
def retry(session: Session, actor: Actor, job_id: int) -> ProcessingJob:
    """The operations view's retry button for a job that failed for good."""
    require_role(actor, Role.ADMIN)
    job = session.get(ProcessingJob, job_id)
    if job is None:
        raise NotFound("任务不存在。", "No such job.")
    if job.status is not JobStatus.FAILED:
        raise Conflict("只有失败的任务可以重试。", "Only failed jobs can be retried.")
    job.status = JobStatus.QUEUED
    job.error = None
    audit.record(session, actor, "job.retry", "processing_job", job.id, kind=job.kind)
    session.flush()
    _send_after_commit(session, job.id)
    return job
