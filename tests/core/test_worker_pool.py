"""The worker pool (``python -m core worker --processes N``): a parent that forks the workers and
replaces any that dies. Its SIGKILLed workers are the fault scenario of tests/core/test_job_faults.py;
here, the parent itself killed outright, a stop passed on to every worker, and a worker that cannot
start restarted after a growing pause instead of in a tight loop."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.bench_job_faults import Workers, fresh_database, holders, prepare, unfinished, worker_env
from core.models import WorkerHeartbeat
from core.storage.photos import LocalPhotoStore
from core.worker_pool import MAX_PAUSE_SECONDS, Death, restart_pause
from tests.core.worker_processes import assert_each_done_once, wait_for


def _gone(pid: int) -> bool:
    """No such process, or only its exit status left for whoever adopted it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _status(signal_number: int | None = None, exit_code: int = 0) -> int:
    """A ``waitpid`` status as the kernel encodes it."""
    return signal_number if signal_number is not None else exit_code << 8


def test_only_a_worker_that_fails_by_itself_soon_after_starting_slows_the_restarts():
    assert Death(_status(signal.SIGKILL), 0.3).failed is False  # the OOM killer, an operator
    assert Death(_status(signal.SIGTERM), 0.3).failed is False
    assert Death(_status(exit_code=0), 0.3).failed is False
    assert Death(_status(exit_code=1), 0.3).failed is True
    assert Death(_status(signal.SIGSEGV), 0.3).failed is True
    assert Death(_status(signal.SIGKILL), 0.3).describe() == "killed by SIGKILL"
    assert Death(_status(exit_code=3), 0.3).describe() == "exited with 3"
    assert [restart_pause(n) for n in range(0, 6)] == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0]
    assert restart_pause(40) == MAX_PAUSE_SECONDS


@pytest.mark.slow
def test_a_parent_killed_outright_takes_its_workers_down_and_their_jobs_come_back(tmp_path, portrait_present):
    db, _ = fresh_database(None, tmp_path)
    submission_ids = prepare(db, LocalPhotoStore(tmp_path / "photos"), 8)
    (tmp_path / "logs").mkdir()
    env = worker_env("sqlite", db.url, tmp_path, "jobs-pool")
    env["WORKBENCH_WORKER_GRACE_SECONDS"] = "0"  # a stopped worker hands its job back at once
    pool = Workers(env, tmp_path / "logs")
    try:
        parent = pool.start(processes=2)
        wait_for(lambda: len(pool.forked(parent)) == 2 and holders(db), 120, "a worker to hold a job")
        workers = pool.forked(parent)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        wait_for(lambda: all(_gone(pid) for pid in workers), 30, "the orphaned workers to stop")
        with db.session() as session:  # each stopped the orderly way: it said goodbye
            assert session.scalars(select(WorkerHeartbeat.pid).where(WorkerHeartbeat.pid.in_(workers))).all() == []
        # A new pool finishes every job, each once; stopped, it passes the stop to its workers.
        pool.env["WORKBENCH_WORKER_GRACE_SECONDS"] = "30"
        parent = pool.start(processes=2)

        wait_for(lambda: not unfinished(db), 300, "every job to finish")
        workers = pool.forked(parent)
        assert len(workers) == 2
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=60) == 0
        assert all(_gone(pid) for pid in workers)
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(WorkerHeartbeat)) == 0
    finally:
        pool.stop_all()
        db.dispose()
    assert_each_done_once(db, submission_ids, pool)


@pytest.mark.slow
def test_workers_that_cannot_start_are_restarted_after_a_growing_pause(tmp_path):
    """A database nobody migrated: every worker fails at its first heartbeat, and says why."""
    env = worker_env("sqlite", f"sqlite:///{tmp_path / 'never-migrated.db'}", tmp_path, "jobs-broken")
    (tmp_path / "logs").mkdir()
    pool = Workers(env, tmp_path / "logs")
    try:
        parent = pool.start(processes=2)
        log = pool.log_of[parent.pid]
        wait_for(lambda: "a new one starts in 4 s" in log.read_text(errors="replace"), 60, "the pause to grow")
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=30) == 0
    finally:
        pool.stop_all()
    text = log.read_text(errors="replace")
    # The pause grows 1, 2, 4 s with the failures in a row (the two workers fail about together, so
    # a pause may restart both): a handful of starts in those seconds, not a fork every few milliseconds.
    pauses = [text.index(f"a new one starts in {seconds} s") for seconds in (1, 2, 4)]
    assert pauses == sorted(pauses)
    assert 4 <= text.count("started worker process") <= 8, text
    assert "exited with 1" in text and "no such table: worker_heartbeat" in text
