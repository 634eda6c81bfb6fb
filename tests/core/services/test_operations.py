from __future__ import annotations

from datetime import timedelta

import pytest

import core
from core.domain.enums import JobStatus, Role
from core.errors import AccessDenied, Conflict
from core.models import ProcessingJob, utcnow
from core.services import audit, jobs, operations
from tests import factories as f


def _jobs(session):
    old = utcnow() - timedelta(minutes=30)
    session.add_all([
        ProcessingJob(kind=jobs.PROCESS_SUBMISSION, subject_id=1, status=JobStatus.QUEUED, created_at=old),
        ProcessingJob(kind=jobs.PROCESS_SUBMISSION, subject_id=2, status=JobStatus.QUEUED),
        ProcessingJob(kind=jobs.PROCESS_SUBMISSION, subject_id=3, status=JobStatus.DONE, attempts=1),
        ProcessingJob(kind=jobs.PROCESS_ENROLMENT, subject_id=999, status=JobStatus.FAILED, attempts=3,
                      error="NotFound: Roster record 999 not found."),
    ])
    session.flush()


def test_health_counts_jobs_lists_failures_and_measures_the_data(env):
    db, store = env
    photo = b"\xff\xd8" + b"x" * 5000
    store.put(photo)
    with db.session() as session:
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        _jobs(session)
        health = operations.health(session, admin, store)
    assert health.jobs_by_status == {JobStatus.QUEUED: 2, JobStatus.RUNNING: 0, JobStatus.DONE: 1,
                                     JobStatus.FAILED: 1}
    assert [(j.kind, j.subject_id, j.attempts, j.error) for j in health.failed] == [
        (jobs.PROCESS_ENROLMENT, 999, 3, "NotFound: Roster record 999 not found.")]
    assert utcnow() - health.oldest_waiting_since > timedelta(minutes=29)
    assert health.worker_stalled
    assert health.photo_store is None  # the store is not walked on every look at the page
    assert health.database_bytes > 0
    assert health.version.startswith(core.__version__)

    measured = operations.measure_photo_store(admin, store)
    assert measured.total_bytes == len(photo) and utcnow() - measured.measured_at < timedelta(minutes=1)
    store.put(b"\xff\xd8" + b"y" * 7000)
    with db.session() as session:
        assert operations.health(session, admin, store).photo_store == measured  # the figure with its age
    with db.session() as session:
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "reviewer"))
    with pytest.raises(AccessDenied):
        operations.measure_photo_store(reviewer, store)


def test_no_stall_is_reported_while_a_worker_is_alive_or_nothing_waits(env):
    """Stalled means old waiting jobs and no live worker. A job row marked running proves nothing
    (its worker may have been killed: that job is orphaned); a worker's heartbeat does."""
    db, store = env
    with db.session() as session:
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        assert not operations.health(session, admin, store).worker_stalled
        _jobs(session)
        session.add(ProcessingJob(kind=jobs.PROCESS_SUBMISSION, subject_id=4, status=JobStatus.RUNNING))
        session.flush()
        assert operations.health(session, admin, store).worker_stalled
        jobs.beat(session, "host:1:abc", hostname="host", pid=1, queue="sqlite", current_job_id=None, jobs_done=0)
        session.flush()
        assert not operations.health(session, admin, store).worker_stalled


def test_database_size_grows_with_the_data(db):
    with db.session() as session:
        before = operations.database_bytes(session)
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        for n in range(2000):
            audit.record(session, admin, "test.fill", "thing", n, note="x" * 200)
    with db.session() as session:
        assert operations.database_bytes(session) > before


def test_retry_sends_a_failed_job_back_through_the_worker(env):
    db, store = env
    with db.session() as session:
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        _jobs(session)
        failed_id = operations.health(session, admin, store).failed[0].id
    with db.session() as session:
        jobs.retry(session, admin, failed_id)
    with db.session() as session:
        job = session.get(ProcessingJob, failed_id)
        # The subject is still missing, so the worker ran it again (three attempts) and it failed again.
        assert job.attempts == 6 and job.status is JobStatus.FAILED
        assert "999" in job.error
        assert audit.events_for(session, action="job.retry")[0].entity_id == failed_id
        with pytest.raises(Conflict):
            done = session.query(ProcessingJob).filter_by(status=JobStatus.DONE).one()
            jobs.retry(session, admin, done.id)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SENIOR_REVIEWER, Role.REGISTRAR, Role.SUPPORT])
def test_no_other_role_may_see_operations_or_retry(env, role):
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        someone = f.actor_of(f.make_staff(session, role, "someone", school=school if role is Role.REGISTRAR else None))
        _jobs(session)
        failed = session.query(ProcessingJob).filter_by(status=JobStatus.FAILED).one()
        with pytest.raises(AccessDenied):
            operations.health(session, someone, store)
        with pytest.raises(AccessDenied):
            jobs.retry(session, someone, failed.id)
        assert failed.status is JobStatus.FAILED
