"""Background jobs: a failing job is retried, then shown as failed with its error, never lost;
an admin's retry runs it again; a job whose worker dies comes back through its lease, and a worker
whose lease was taken commits nothing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from core import worker
from core.config import settings
from core.domain.enums import JobStatus, QuotaKind, Role, SubmissionState
from core.models import ProcessingJob, QuotaEntry, Submission, utcnow
from core.services import jobs, processing, quotas, student_flow, submissions
from tests import factories as f
from tests.core.services.helpers import portrait


def test_failed_job_is_retried_then_kept_with_its_error_and_can_be_retried(env):
    db, store = env
    photo = portrait(3)
    with db.session() as session:
        school = f.make_school(session)
        student = f.make_linked_student(session, f.make_task(session, school), f.make_record(session, school))
        admin = f.actor_of(f.make_staff(session, Role.ADMIN))
        f.keep(session, student)
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
        assert job.attempts == settings().job_attempts
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


# ---------------------------------------------------------------- leases, fencing, reaping


def _captured(db, store, *, seed: int = 1) -> int:
    """A student's capture whose job waits as a row, as if no worker were running yet."""
    worker.configure(db, store, immediate=False)
    with db.session() as session:
        school = f.make_school(session, code=f"1{seed:04d}", name=f"测试大学{seed}")
        student = f.make_linked_student(session, f.make_task(session, school), f.make_record(session, school, seed))
        submission = submissions.request_standardisation(session, student.actor, student.link.id, portrait(seed), store)
        return submission.id


def _job_of(session, submission_id: int) -> ProcessingJob:
    return session.scalars(select(ProcessingJob).where(ProcessingJob.subject_id == submission_id)).one()


def _charged(session, submission_id: int) -> int:
    return int(session.scalar(select(func.sum(QuotaEntry.amount)).where(
        QuotaEntry.submission_id == submission_id, QuotaEntry.kind == QuotaKind.STANDARDISATION)) or 0)


def _kill_holder(db, submission_id: int, worker_id: str) -> jobs.Claim:
    """A worker claims the job and dies: its lease is left to run out."""
    with db.session() as session:
        held = jobs.claim(session, worker_id, _job_of(session, submission_id).id)
    assert held is not None
    return held


def _after_lease() -> datetime:
    return utcnow() + timedelta(seconds=settings().job_lease_seconds + 1)


def test_a_job_whose_worker_was_killed_goes_back_to_the_queue_and_finishes_once(env):
    db, store = env
    submission_id = _captured(db, store)
    dead = _kill_holder(db, submission_id, "host:1:dead")
    with db.session() as session:
        assert jobs.reap(session) == []  # the lease still runs: nobody steals the job
        assert jobs.reap(session, now=_after_lease()) == [dead.job_id]
        job = _job_of(session, submission_id)
        assert job.status is JobStatus.QUEUED and job.lease_owner is None
        assert job.error.startswith("WorkerLost: worker host:1:dead stopped during attempt 1")
    with db.session() as session:
        held = jobs.claim(session, "host:2:alive")
    assert held is not None and held.job_id == dead.job_id and held.fence == dead.fence + 1 and held.attempt == 2
    assert processing.execute(db, store, held, retry_delay=timedelta(0)) is JobStatus.DONE
    with db.session() as session:
        job, submission = _job_of(session, submission_id), session.get(Submission, submission_id)
        assert job.status is JobStatus.DONE and job.error is None and job.finished_at is not None
        assert submission.state is SubmissionState.STANDARDISED and submission.standardised_sha
        assert _charged(session, submission_id) == 1


def test_a_worker_whose_lease_was_taken_cannot_commit_its_stale_result(env):
    db, store = env
    submission_id = _captured(db, store)
    stale = _kill_holder(db, submission_id, "host:1:hung")  # it hangs, it is not dead
    with db.session() as session:
        jobs.reap(session, now=_after_lease())
    with db.session() as session:
        fresh = jobs.claim(session, "host:2:alive")
        assert not jobs.renew(session, stale)  # the hung worker's heartbeat learns it lost the job
    assert processing.execute(db, store, stale, retry_delay=timedelta(0)) is None
    with db.session() as session:
        assert session.get(Submission, submission_id).state is SubmissionState.CAPTURED
        assert session.get(Submission, submission_id).quality_report == []
        assert _job_of(session, submission_id).status is JobStatus.RUNNING
    assert processing.execute(db, store, fresh, retry_delay=timedelta(0)) is JobStatus.DONE
    assert processing.execute(db, store, stale, retry_delay=timedelta(0)) is None  # still refused after
    with db.session() as session:
        assert _job_of(session, submission_id).fence == fresh.fence
        assert session.get(Submission, submission_id).state is SubmissionState.STANDARDISED
        assert _charged(session, submission_id) == 1


def test_a_job_that_keeps_killing_its_worker_ends_failed_and_the_standardisation_is_given_back(env):
    db, store = env
    submission_id = _captured(db, store)
    with db.session() as session:
        record_id = session.get(Submission, submission_id).roster_record_id
        assert quotas.usage(session, record_id).standardisations_today == 1
    for attempt in range(1, settings().job_attempts + 1):
        held = _kill_holder(db, submission_id, f"host:{attempt}:dies")
        assert held.attempt == attempt
        with db.session() as session:
            jobs.reap(session, now=_after_lease())
    with db.session() as session:
        job = _job_of(session, submission_id)
        assert job.status is JobStatus.FAILED and job.attempts == settings().job_attempts
        assert f"stopped during each of {job.attempts} attempts" in job.error
        assert jobs.claim(session, "host:9:late") is None
        assert quotas.usage(session, record_id).standardisations_today == 0
        assert _charged(session, submission_id) == 0
        jobs.reap(session, now=_after_lease())  # reaping again gives nothing back twice
        assert _charged(session, submission_id) == 0
        progress = student_flow.capture_progress(session, session.get(Submission, submission_id))
    assert not progress.waiting and "不计入今日标准化次数" in progress.error_zh


def test_an_admin_retry_charges_the_standardisation_again_once_and_finishes(env):
    db, store = env
    submission_id = _captured(db, store)
    for attempt in range(settings().job_attempts):
        _kill_holder(db, submission_id, f"host:{attempt}:dies")
        with db.session() as session:
            jobs.reap(session, now=_after_lease())
    with db.session() as session:
        admin = f.actor_of(f.make_staff(session, Role.ADMIN))
        job_id = _job_of(session, submission_id).id
    worker.configure(db, store, immediate=True)
    with db.session() as session:
        jobs.retry(session, admin, job_id)
    with db.session() as session:
        job = _job_of(session, submission_id)
        assert job.status is JobStatus.DONE and job.attempts == settings().job_attempts + 1
        assert _charged(session, submission_id) == 1


def test_a_stopping_worker_hands_its_job_back_without_using_an_attempt(env):
    db, store = env
    submission_id = _captured(db, store)
    held = _kill_holder(db, submission_id, "host:1:stopping")
    with db.session() as session:
        assert jobs.release(session, held)
    with db.session() as session:
        job = _job_of(session, submission_id)
        assert job.status is JobStatus.QUEUED and job.attempts == 0 and job.lease_owner is None
    assert processing.execute(db, store, held, retry_delay=timedelta(0)) is None


class _SentWakeUps:
    """The worker's queue port, keeping what it was asked to send (no Huey needed here)."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, job_id: int) -> None:
        self.sent.append(job_id)


def test_a_stop_arriving_during_a_claim_hands_the_claimed_job_back(env, monkeypatch):
    """The CI finding: SIGTERM landed while the worker was claiming its next job; the stop saw no job
    in hand, and the process left with the new claim still running under its lease. And the next
    one: the stop waited for the claim and handed the job back, but the worker started it meanwhile
    and on PostgreSQL could finish it first. A stopping worker must not start the job at all."""
    db, store = env
    submission_id = _captured(db, store)
    queue = _SentWakeUps()
    stopping_worker = worker.Worker(db, store, queue)
    real_claim = jobs.claim
    stops: list[threading.Thread] = []
    started: list[int] = []
    real_execute = processing.execute

    def execute(db, store, held, **options):
        started.append(held.job_id)
        return real_execute(db, store, held, **options)

    monkeypatch.setattr(processing, "execute", execute)

    def claim_then_stop(session, owner, job_id=None, **options):
        held = real_claim(session, owner, job_id, **options)
        stopping_worker.stopping.set()  # the signal arrives here: the claim is made, not yet in hand
        stops.append(threading.Thread(target=stopping_worker.hand_back))
        stops[-1].start()
        stops[-1].join(0.3)
        return held

    monkeypatch.setattr(jobs, "claim", claim_then_stop)
    stopping_worker.take(None)
    [stop] = stops
    stop.join(10)
    with db.session() as session:
        job = _job_of(session, submission_id)
        assert job.status is JobStatus.QUEUED and job.attempts == 0 and job.lease_owner is None
        assert queue.sent == [job.id]  # and another worker is woken for it
    assert started == [] and stopping_worker.jobs_done == 0


def test_a_job_left_running_without_a_lease_by_an_old_worker_is_reaped(env):
    """The finding: before leases, a killed worker left its job ``running`` for ever."""
    db, store = env
    submission_id = _captured(db, store)
    with db.session() as session:
        job = _job_of(session, submission_id)
        job.status, job.attempts = JobStatus.RUNNING, 1
        job_id = job.id
    with db.session() as session:
        assert jobs.reap(session) == [job_id]
    with db.session() as session:
        held = jobs.claim(session, "host:2:alive")
    assert processing.execute(db, store, held, retry_delay=timedelta(0)) is JobStatus.DONE


def test_an_error_is_retried_after_a_delay_then_fails_for_good(env):
    db, store = env
    submission_id = _captured(db, store)
    with db.session() as session:
        store.path_of(session.get(Submission, submission_id).raw_sha).unlink()
    for attempt in range(1, settings().job_attempts + 1):
        with db.session() as session:
            held = jobs.claim(session, "host:1:w", now=utcnow() + timedelta(minutes=attempt))
        assert held is not None, attempt
        expected = JobStatus.FAILED if attempt == settings().job_attempts else JobStatus.QUEUED
        assert processing.execute(db, store, held, retry_delay=timedelta(seconds=30)) is expected
        with db.session() as session:
            if expected is JobStatus.QUEUED:
                assert jobs.claim(session, "host:1:w") is None  # not before the retry delay
    with db.session() as session:
        assert "missing" in _job_of(session, submission_id).error
        assert _charged(session, submission_id) == 0
