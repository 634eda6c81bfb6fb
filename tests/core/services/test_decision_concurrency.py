"""Several reviewers deciding the same photo at once: exactly one wins, the others get a clear
conflict, and nothing is lost or doubled."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import func, select

from core.db import Database
from core.domain.enums import Decision, Role, SubmissionState
from core.errors import Conflict
from core.models import AuditEvent, Notification, ReviewDecision, Submission
from core.services import review
from tests import factories as f
from tests.core.services.helpers import submitted_photo


def _reviewers(db: Database, count: int) -> list:
    with db.session() as session:
        return [f.actor_of(f.make_staff(session, Role.REVIEWER, f"reviewer{i}")) for i in range(count)]


def _assert_decided_once(db: Database, submission_id: int) -> None:
    with db.session() as session:
        assert session.get(Submission, submission_id).state is SubmissionState.APPROVED
        assert session.scalar(select(func.count(ReviewDecision.id))) == 1
        assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "review.approve")) == 1
        assert session.scalar(select(func.count(Notification.id)).where(Notification.kind == "review_result")) == 1


def test_eight_threads_decide_the_same_photo(env):
    db, store = env
    submission_id = submitted_photo(db, store)
    reviewers = _reviewers(db, 8)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(actor) -> None:
        barrier.wait()
        try:
            with db.session() as session:
                review.decide(session, actor, submission_id, Decision.APPROVE)
            result = "won"
        except Conflict as conflict:
            assert "未保存您的决定" in conflict.message_zh or "其他审核员" in conflict.message_zh
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(actor,)) for actor in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    _assert_decided_once(db, submission_id)


def _decide_in_process(url: str, actor, submission_id: int, start, results) -> None:
    db = Database(url)
    start.wait()
    try:
        with db.session() as session:
            review.decide(session, actor, submission_id, Decision.APPROVE)
        results.put("won")
    except Conflict:
        results.put("conflict")
    except Exception as exc:  # surfaced in the assertion below
        results.put(f"error: {exc!r}")
    finally:
        db.dispose()


def test_four_processes_decide_the_same_photo_on_postgresql(env):
    db, store = env
    if db.dialect != "postgresql":
        pytest.skip("the multi-process variant runs on PostgreSQL")
    submission_id = submitted_photo(db, store)
    reviewers = _reviewers(db, 4)
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_decide_in_process, args=(db.url, actor, submission_id, start, results)) for actor in reviewers]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(timeout=120)
    outcomes = sorted(results.get(timeout=5) for _ in procs)
    assert outcomes == ["conflict"] * 3 + ["won"]
    _assert_decided_once(db, submission_id)
