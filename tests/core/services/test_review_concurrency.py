"""Concurrency: 8 reviewers (threads, each with its own session) work one queue of 200 photos; on
PostgreSQL also 4 separate processes decide the same photo at the same moment."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.domain.enums import Decision, Role, SubmissionState
from core.models import ReviewDecision, Submission, utcnow
from core.services import review
from tests import factories as f

ROOT = Path(__file__).resolve().parents[3]
QUEUE_SIZE = 200
REVIEWERS = 8


@pytest.fixture
def big_queue(env, fixtures_dir):
    """200 photos awaiting review: one real capture processed by the pipeline, 199 sharing its photos."""
    db, store = env
    start = utcnow() - timedelta(hours=1)
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        f.set_enrolment_photo(session, store, record, fixtures_dir / "london" / "007_neutral.jpg")
        session.commit()
        student = f.make_linked_student(session, task, record)
        template = f.submit_photo(session, store, student, fixtures_dir / "london" / "007_smiling.jpg")
        for i in range(QUEUE_SIZE - 1):
            f.share_photos(session, template, f.make_record(session, school, 1000 + i), task, start + timedelta(seconds=i))
        actors = [f.actor_of(f.make_staff(session, Role.REVIEWER, f"r{i}")) for i in range(REVIEWERS)]
    return db, actors


def test_eight_reviewers_never_receive_the_same_photo_and_all_200_are_decided_once(big_queue):
    db, actors = big_queue
    received: dict[int, list[int]] = {a.id: [] for a in actors}
    errors: list[BaseException] = []
    start = threading.Barrier(len(actors))

    def work(actor) -> None:
        try:
            start.wait()
            while True:
                with db.session() as session:
                    submission = review.claim_next(session, actor)
                    if submission is None:
                        return
                    sid = submission.submission_id
                received[actor.id].append(sid)
                with db.session() as session:
                    decision = Decision.APPROVE if sid % 3 else Decision.REJECT
                    review.decide(session, actor, sid, decision, reason_code="blurred" if sid % 3 == 0 else None)
        except BaseException as error:  # surfaced below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=work, args=(a,)) for a in actors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    everything = [sid for ids in received.values() for sid in ids]
    assert len(everything) == QUEUE_SIZE and len(set(everything)) == QUEUE_SIZE, "no photo handed out twice"
    assert sum(1 for ids in received.values() if ids) > 1, "the work was actually shared"
    with db.session() as session:
        per_photo = Counter(session.scalars(select(ReviewDecision.submission_id)).all())
        assert len(per_photo) == QUEUE_SIZE and set(per_photo.values()) == {1}
        waiting = session.scalar(select(func.count(Submission.id)).where(
            Submission.state == SubmissionState.AWAITING_REVIEW))
        assert waiting == 0


DECIDE_SCRIPT = """
import sys, time
from core.db import Database
from core.domain.enums import Decision
from core.errors import Conflict
from core.models import StaffUser
from core.services import review, staff
url, reviewer_id, submission_id, at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
db = Database(url)
with db.session() as s:
    actor = staff.actor_for(s.get(StaffUser, reviewer_id))
time.sleep(max(0.0, at - time.time()))
try:
    with db.session() as s:
        review.decide(s, actor, submission_id, Decision.APPROVE)
    print("won")
except Conflict as c:
    print("conflict:" + c.message_en)
"""


def test_four_processes_deciding_one_photo_on_postgresql_exactly_one_wins(big_queue):
    db, actors = big_queue
    if db.dialect != "postgresql":
        pytest.skip("separate processes on one SQLite file are covered by the immediate transaction; this is the PostgreSQL row-lock case")
    with db.session() as session:
        target = session.scalar(select(Submission.id).order_by(Submission.submitted_at).limit(1))
    at = time.time() + 3
    procs = [
        subprocess.Popen([sys.executable, "-c", DECIDE_SCRIPT, db.url, str(a.id), str(target), str(at)],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for a in actors[:4]
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outcomes.append(out.strip())
    assert outcomes.count("won") == 1, outcomes
    assert all(o.startswith("conflict:Someone else already decided") for o in outcomes if o != "won"), outcomes
    with db.session() as session:
        assert session.scalar(select(func.count(ReviewDecision.id)).where(ReviewDecision.submission_id == target)) == 1
        assert session.get(Submission, target).state is SubmissionState.APPROVED

