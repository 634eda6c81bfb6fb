"""Every quota override sends the student's photo to a senior reviewer, wherever it was granted."""

from __future__ import annotations

from core.domain.enums import Decision, Role, SecondReviewReason
from core.models import QuotaEntry, Submission
from core.services import audit, review, support
from tests import factories as f
from tests.core.services.helpers import submitted_photo


def test_support_desk_grant_sends_the_rejected_photo_to_second_review(env):
    db, store = env
    submission_id = submitted_photo(db, store)
    with db.session() as session:
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER))
        agent = f.actor_of(f.make_staff(session, Role.SUPPORT))
        review.decide(session, reviewer, submission_id, Decision.REJECT, reason_code="blurred")
    with db.session() as session:
        record_id = session.get(Submission, submission_id).roster_record_id
        entry = support.grant_submission(session, agent, record_id, "热线：学生对驳回有异议")
        entry_id = entry.id
    with db.session() as session:
        submission = session.get(Submission, submission_id)
        assert submission.needs_second_review and submission.second_review_reason == SecondReviewReason.QUOTA_OVERRIDE
        assert session.get(QuotaEntry, entry_id).submission_id == submission_id
        [event] = audit.events_for(session, action="review.second_review_requested")
        assert (event.entity_id, event.actor_name) == (submission_id, "Support")


def test_grant_without_a_reviewed_photo_stands_alone(env):
    db, _ = env
    with db.session() as session:
        school = f.make_school(session)
        record = f.make_record(session, school)
        agent = f.actor_of(f.make_staff(session, Role.SUPPORT))
        entry = support.grant_submission(session, agent, record.id, "学生尚未提交，预先赠送")
        assert entry.submission_id is None
        assert audit.events_for(session, action="review.second_review_requested") == []
