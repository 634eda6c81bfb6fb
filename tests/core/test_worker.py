"""Background jobs: a failing job is retried, then shown as failed with its error, never lost;
an admin's retry runs it again."""

from __future__ import annotations

from sqlalchemy import select

from core.domain.enums import JobStatus, Role, SubmissionState
from core.models import ProcessingJob, Submission
from core.services import jobs, submissions
from core.worker import RETRIES
from tests import factories as f
from tests.core.services.helpers import portrait


def test_failed_job_is_retried_then_kept_with_its_error_and_can_be_retried(env):
    db, store = env
    photo = portrait(3)
    with db.session() as session:
        school = f.make_school(session)
        student = f.make_linked_student(session, f.make_task(session, school), f.make_record(session, school))
        admin = f.actor_of(f.make_staff(session, Role.ADMIN))
    store.path_of(store.put(photo)).unlink()  # the photo vanishes from the store before the worker runs
    original_put = store.put
    store.put = lambda data: __import__("hashlib").sha256(data).hexdigest()
    try:
        with db.session() as session:
            submission_id = submissions.request_standardisation(session, student.actor, student.link.id, photo, store).id
    finally:
        store.put = original_put
    with db.session() as session:
        job = session.scalars(select(ProcessingJob).where(ProcessingJob.subject_id == submission_id)).one()
        assert job.status is JobStatus.FAILED
        assert job.attempts == RETRIES + 1
        assert "missing" in job.error
        assert session.get(Submission, submission_id).state is SubmissionState.CAPTURED
        job_id = job.id
    store.put(photo)
    with db.session() as session:
        jobs.retry(session, admin, job_id)
    with db.session() as session:
        job = session.get(ProcessingJob, job_id)
        assert job.status is JobStatus.DONE and job.error is None
        assert session.get(Submission, submission_id).state is SubmissionState.STANDARDISED
