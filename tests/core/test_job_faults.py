"""Nothing is lost: real worker processes (``python -m core worker``) killed with SIGKILL at random
moments of their jobs, ten times, while real standardisations run, on the SQLite queue and on
Redis; and stopped with SIGTERM, which finishes the job in hand within the grace period or hands
it back.

The scenario is ``bench/bench_job_faults.py`` (which runs it larger and prints the figures). Here
the students request their standardisations as the kills need them (a job for each worker up, when
none is in hand): the cost is then the kills and the worker start-ups after them (each loads the
imaging stack, seconds of CPU), not a backlog processed between kills. The
Redis variant runs on PostgreSQL when WORKBENCH_TEST_DATABASE_URL is set (the production pair),
on SQLite otherwise; each run uses its own queue name (Redis key prefix) and its own database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections import Counter

import pytest
from sqlalchemy import select

from bench.bench_job_faults import (
    Outcome,
    Workers,
    check,
    drop_database,
    fresh_database,
    prepare,
    run_scenario,
    unfinished,
    worker_env,
)
from core.domain.enums import JobStatus
from core.models import ProcessingJob, WorkerHeartbeat
from core.storage.photos import LocalPhotoStore
from tests import factories as f
from tests.core.worker_processes import assert_each_done_once, wait_for

PG_URL = os.environ.get("WORKBENCH_TEST_DATABASE_URL")
JOBS, KILLS = 40, 10
"""A kill round takes one to three jobs: enough students for every kill, the rest requested after."""


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_sigkilled_workers_lose_nothing_and_duplicate_nothing(queue, tmp_path, portrait_present):
    if queue == "redis" and not _redis_up():
        pytest.skip("Redis not running on 127.0.0.1:6379")
    url = PG_URL if queue == "redis" else None
    db, created = fresh_database(url, tmp_path)
    try:
        outcome = run_scenario(queue, db, tmp_path, jobs=JOBS, kills=KILLS, seed=7, timeout=600, up_front=0)
    finally:
        db.dispose()
        if created and url:
            drop_database(url, created)
    print("\n".join(outcome.lines()))
    assert outcome.kills >= KILLS  # each left its job behind: it landed mid-job
    assert outcome.done + outcome.failed == JOBS
    assert outcome.lost == [] and outcome.duplicated == []
    assert outcome.half_processed == [] and outcome.wrong_charge == []
    assert outcome.failed_without_reason == []
    assert outcome.done >= JOBS - KILLS  # a job fails only by killing its worker on every attempt
    assert outcome.recovery_seconds is not None


def _held_by(db, pid: int) -> list[ProcessingJob]:
    with db.session() as session:
        held = [job for job in session.scalars(select(ProcessingJob).where(ProcessingJob.status == JobStatus.RUNNING))
                if job.lease_owner and job.lease_owner.split(":")[-2] == str(pid)]
        f.keep(session, *held)
        return held


def _stop_while_holding(db, pool: Workers, grace: str) -> tuple[subprocess.Popen[bytes], ProcessingJob, float]:
    pool.env["WORKBENCH_WORKER_GRACE_SECONDS"] = grace
    proc = pool.start()
    wait_for(lambda: pool.working(proc) and _held_by(db, proc.pid), 180, "the worker to hold a job")
    [held] = _held_by(db, proc.pid)
    proc.send_signal(signal.SIGTERM)
    began = time.monotonic()
    assert proc.wait(timeout=60) == 0
    return proc, held, time.monotonic() - began


@pytest.mark.slow
def test_sigterm_finishes_the_job_in_hand_or_hands_it_back(tmp_path, portrait_present):
    db, _ = fresh_database(None, tmp_path)
    submission_ids = prepare(db, LocalPhotoStore(tmp_path / "photos"), 12)
    (tmp_path / "logs").mkdir()
    pool = Workers(worker_env("sqlite", db.url, tmp_path, "jobs-sigterm"), tmp_path / "logs")
    try:
        # With time to spare the worker finishes the job in hand, then exits cleanly.
        proc, held, took = _stop_while_holding(db, pool, grace="30")
        with db.session() as session:
            job = session.get(ProcessingJob, held.id)
            assert job.status is JobStatus.DONE and job.attempts == held.attempts
            assert session.get(WorkerHeartbeat, held.lease_owner) is None  # it said goodbye
        assert not _held_by(db, proc.pid)
        # With no grace it hands the job back at once: queued again, the attempt not counted.
        proc, held, took = _stop_while_holding(db, pool, grace="0")
        assert took < 10
        with db.session() as session:
            job = session.get(ProcessingJob, held.id)
            assert job.status in (JobStatus.QUEUED, JobStatus.DONE)
            if job.status is JobStatus.QUEUED:
                assert job.attempts == held.attempts - 1 and job.lease_owner is None
                assert "handed back on shutdown" in pool.log_of[proc.pid].read_text()
        assert not _held_by(db, proc.pid)
        # The next worker finishes everything, each job once.
        pool.env["WORKBENCH_WORKER_GRACE_SECONDS"] = "30"
        pool.start()

        wait_for(lambda: not unfinished(db), 300, "every job to finish")
    finally:
        pool.stop_all()
        db.dispose()
    assert_each_done_once(db, submission_ids, pool)


def test_the_fault_scenario_notices_a_lost_job(tmp_path, portrait_present):
    """The check itself can fail: a job left running by a dead worker with no survivor is lost."""
    db, _ = fresh_database(None, tmp_path)
    submission_ids = prepare(db, LocalPhotoStore(tmp_path / "photos"), 2)
    with db.session() as session:
        job = session.scalars(select(ProcessingJob)).first()
        job.status = JobStatus.RUNNING
    outcome = Outcome("sqlite", 2, 0)
    check(db, submission_ids, Counter(), outcome)
    db.dispose()
    assert len(outcome.lost) == 2 and not outcome.ok


@pytest.mark.slow
def test_a_committed_job_reaches_a_real_worker_through_the_huey_queue(tmp_path, portrait_present):
    """The ordinary path: the request commits, its message waits in the queue (no worker yet),
    a worker starts and takes it."""
    from huey import SqliteHuey

    from core import worker

    db, _ = fresh_database(None, tmp_path)
    (tmp_path / "logs").mkdir()
    env = worker_env("sqlite", db.url, tmp_path, "jobs-send")
    queue = worker.HueyQueue(SqliteHuey("jobs-send", filename=str(tmp_path / "queue.db")))
    store = LocalPhotoStore(tmp_path / "photos")
    submission_ids = prepare(db, store, 1)
    with db.session() as session:
        [job] = session.scalars(select(ProcessingJob)).all()
        f.keep(session, job)
    queue.send(job.id)
    assert queue.backlog() == 1
    pool = Workers(env, tmp_path / "logs")
    try:
        proc = pool.start()

        def done() -> bool:
            with db.session() as session:
                return session.get(ProcessingJob, job.id).status is JobStatus.DONE

        wait_for(done, 180, "the worker to finish the job")
        assert queue.backlog() == 0
        assert f"job {job.id} done (attempt 1, fence 1)" in pool.log_of[proc.pid].read_text()
    finally:
        pool.stop_all()
        db.dispose()
    assert_each_done_once(db, submission_ids, pool)
