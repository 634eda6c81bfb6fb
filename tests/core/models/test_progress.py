"""Each student's furthest stage per task follows every submission change, in the same flush,
whichever service makes it; and equals a rebuild from the submissions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import delete, select, text

from core.domain.enums import Decision, Role, SubmissionState
from core.domain.states import Event, Stage, transition
from core.models import PhotoProgress, ReviewDecision, Submission, rebuild_progress, utcnow
from core.services import review
from tests import factories as f


def _submission(session, student, state=SubmissionState.AWAITING_REVIEW, submitted=True) -> Submission:
    submission = Submission(roster_record_id=student.record.id, task_id=student.task.id,
                            account_id=student.account.id, raw_sha="0" * 64, standardised_sha="1" * 64,
                            state=state, submitted_at=utcnow() if submitted else None, attempt_number=1)
    session.add(submission)
    session.flush()
    return submission


def _stages(session) -> dict[tuple[int, int], int]:
    return {(row.task_id, row.roster_record_id): row.stage for row in session.scalars(select(PhotoProgress))}


def _stage(session, student) -> int | None:
    return _stages(session).get((student.task.id, student.record.id))


def test_stage_follows_review_decisions_and_their_undo(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        student = f.make_linked_student(session, task, f.make_record(session, school, 1))

        first = _submission(session, student, SubmissionState.STANDARDISED, submitted=False)
        assert _stage(session, student) == Stage.NONE
        first.state = transition(first.state, Event.SUBMIT)
        first.submitted_at = utcnow()
        session.flush()
        assert _stage(session, student) == Stage.SUBMITTED

        first.state = transition(first.state, Event.QUEUE_FOR_REVIEW)
        rejection = review.decide(session, reviewer, first.id, Decision.REJECT, reason_code="blurred")
        session.flush()
        assert _stage(session, student) == Stage.SUBMITTED

        second = _submission(session, student)
        approval = review.decide(session, reviewer, second.id, Decision.APPROVE)
        session.flush()
        assert _stage(session, student) == Stage.APPROVED

        review.undo(session, reviewer, approval.decision_id)
        session.flush()
        assert _stage(session, student) == Stage.SUBMITTED, "an undone approval takes the student back"
        assert session.get(ReviewDecision, rejection.decision_id).undone_at is None


def test_stage_reaches_chsi_and_falls_back_when_the_upload_fails(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school, 1))
        submission = _submission(session, student, SubmissionState.APPROVED)
        assert _stage(session, student) == Stage.APPROVED
        submission.state = transition(submission.state, Event.ADD_TO_BATCH)
        submission.state = transition(submission.state, Event.MARK_ON_CHSI)
        session.flush()
        assert _stage(session, student) == Stage.ON_CHSI

    with db.session() as session:
        other = f.make_linked_student(session, task, f.make_record(session, school, 2))
        failed = _submission(session, other, SubmissionState.IN_BATCH)
        failed.state = transition(failed.state, Event.MARK_UPLOAD_FAILED)
        session.flush()
        assert _stage(session, other) == Stage.APPROVED


def test_a_rolled_back_change_leaves_no_trace(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school, 1))
        submission_id = _submission(session, student).id
        f.keep(session, student)
    try:
        with db.session() as session:
            submission = session.get(Submission, submission_id)
            submission.state = transition(submission.state, Event.APPROVE)
            session.flush()
            assert _stage(session, student) == Stage.APPROVED
            raise RuntimeError("the request failed after the flush")
    except RuntimeError:
        pass
    with db.session() as session:
        assert _stage(session, student) == Stage.SUBMITTED


def test_kept_table_equals_a_rebuild_from_the_submissions(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        for seed in range(8):
            student = f.make_linked_student(session, task, f.make_record(session, school, seed))
            for attempt in range(seed % 3 + 1):
                submission = _submission(session, student)
                if (seed + attempt) % 2:
                    review.decide(session, reviewer, submission.id, Decision.APPROVE)
                else:
                    review.decide(session, reviewer, submission.id, Decision.REJECT, reason_code="blurred")
        session.flush()
        kept = _stages(session)
        assert len(kept) == 8 and set(kept.values()) == {Stage.SUBMITTED, Stage.APPROVED}
        rebuild_progress(session.connection())
        assert _stages(session) == kept


def test_the_migrations_written_out_backfill_equals_what_the_session_keeps(db):
    """Migration 0003 fills the table with its own SQL (so that later changes to the stage rule
    cannot change an old migration); on a student in every state it agrees with the rule today."""
    path = Path(__file__).resolve().parents[3] / "core/migrations/versions/0003_photo_progress_per_student_and_task.py"
    spec = importlib.util.spec_from_file_location("migration_0003", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        cases = [(state, submitted) for state in SubmissionState for submitted in (True, False)]
        for seed, (state, submitted) in enumerate(cases):
            student = f.make_linked_student(session, task, f.make_record(session, school, seed))
            _submission(session, student, state, submitted=submitted)
        session.flush()
        kept = _stages(session)
        assert len(kept) == len(cases) and set(kept.values()) == set(Stage)
        session.execute(delete(PhotoProgress))
        session.execute(text(migration.BACKFILL))
        assert _stages(session) == kept
