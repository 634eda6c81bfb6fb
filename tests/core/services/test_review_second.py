"""Second review: blind to the first decision, never one's own, disagreements listed with both reasons."""

from __future__ import annotations

from datetime import datetime, timedelta, UTC

import pytest
from sqlalchemy import select

from core.domain.enums import Decision, Role, SecondReviewReason
from core.errors import AccessDenied, Conflict
from core.models import ReviewDecision, Submission
from core.services import review, review_second
from core.services.policy import set_policy_value
from core.services.review_view import review_item
from tests import factories as f

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def setup(env, fixtures_dir):
    """Three photos of real captures sharing one processed photo; a reviewer, two seniors, an admin."""
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        template = f.submit_real_capture(session, store, task, record, fixtures_dir / "london")
        template.submitted_at = T0 - timedelta(hours=1)
        ids = [template.id] + [
            f.share_photos(session, template, f.make_record(session, school, 100 + i), task,
                           T0 + timedelta(minutes=i)).id
            for i in range(2)
        ]
        people = {
            "reviewer": f.actor_of(f.make_staff(session, Role.REVIEWER, "reviewer")),
            "senior": f.actor_of(f.make_staff(session, Role.SENIOR_REVIEWER, "senior")),
            "senior2": f.actor_of(f.make_staff(session, Role.SENIOR_REVIEWER, "senior2")),
            "admin": f.actor_of(f.make_staff(session, Role.ADMIN, "admin")),
        }
        set_policy_value(session, people["admin"], "second_review_rate", 1.0)
    return db, ids, people


def test_senior_sees_approvals_blind_and_disagreements_list_both_reasons(setup):
    db, ids, p = setup
    with db.session() as session:
        review.decide(session, p["reviewer"], ids[0], Decision.APPROVE, now=T0)
        review.decide(session, p["reviewer"], ids[1], Decision.APPROVE, now=T0 + timedelta(seconds=1))
        review.decide(session, p["reviewer"], ids[2], Decision.REJECT, reason_code="blurred", note="略模糊",
                      now=T0 + timedelta(seconds=2))
    with db.session() as session:
        assert review_second.second_queue_depth(session, p["senior"]) == 2, "sampled approvals only"
        first = review_second.claim_next_second(session, p["senior"], now=T0 + timedelta(minutes=1))
        assert first.submission_id == ids[0]
        other = review_second.claim_next_second(session, p["senior2"], now=T0 + timedelta(minutes=1))
        assert other.submission_id == ids[1], "two seniors never hold the same photo"
        item = review_item(session, p["senior"], first.submission_id, blind=True)
        assert all(h.submission_id != first.submission_id for h in item.history)
        assert item.second_review_reason is None
        assert all(not h.decisions for h in item.history)
    with db.session() as session:
        review_second.decide_second(session, p["senior"], ids[0], Decision.REJECT, reason_code="hair_covers",
                                    note="眉毛被遮住", now=T0 + timedelta(minutes=2))
        review_second.decide_second(session, p["senior2"], ids[1], Decision.APPROVE, now=T0 + timedelta(minutes=2))
    with db.session() as session:
        assert session.get(Submission, ids[0]).state.value == "approved", "under adjudication the disagreement waits for a third senior"
        listed = review_second.disagreements(session, p["senior"])
    assert len(listed) == 1
    d = listed[0]
    assert (d.submission_id, d.first_reviewer, d.first_decision, d.second_reviewer) == (
        ids[0], "Reviewer", Decision.APPROVE, "Senior")
    assert (d.second_decision, d.second_reason_code, d.second_note) == (Decision.REJECT, "hair_covers", "眉毛被遮住")
    assert d.second_review_reason == SecondReviewReason.SAMPLED


def test_a_senior_never_second_reviews_their_own_decision_nor_twice(setup):
    db, ids, p = setup
    with db.session() as session:
        review.decide(session, p["senior"], ids[0], Decision.APPROVE, now=T0)
    with db.session() as session:
        assert review_second.claim_next_second(session, p["senior"], now=T0) is None
        with pytest.raises(Conflict, match="own decision"):
            review_second.decide_second(session, p["senior"], ids[0], Decision.APPROVE, now=T0)
    with db.session() as session:
        review_second.decide_second(session, p["senior2"], ids[0], Decision.APPROVE, now=T0)
    with db.session() as session, pytest.raises(Conflict, match="already second-reviewed"):
        review_second.decide_second(session, p["admin"], ids[0], Decision.APPROVE, now=T0)
    with db.session() as session:
        decisions = session.scalars(select(ReviewDecision).where(ReviewDecision.submission_id == ids[0])).all()
        assert [(d.reviewer_id, d.is_second_review) for d in decisions] == [(p["senior"].id, False), (p["senior2"].id, True)]
        assert review_second.disagreements(session, p["admin"]) == []


def test_quota_override_waits_for_the_first_decision_then_goes_to_a_senior(setup):
    db, ids, p = setup
    from core.domain.enums import QuotaKind

    with db.session() as session:
        set_policy_value(session, p["admin"], "second_review_rate", 0.0)
        review.grant_override(session, p["reviewer"], ids[2], QuotaKind.STANDARDISATION, "相机故障，加一次")
        assert review_second.second_queue_depth(session, p["senior"]) == 0, "no first decision yet"
        review.decide(session, p["reviewer"], ids[2], Decision.REJECT, reason_code="face_shadow", now=T0)
    with db.session() as session:
        claimed = review_second.claim_next_second(session, p["senior"], now=T0)
        assert claimed.submission_id == ids[2] and claimed.second_review_reason == SecondReviewReason.QUOTA_OVERRIDE


def test_reviewers_cannot_do_second_review(setup):
    db, ids, p = setup
    with db.session() as session:
        for call in (
            lambda: review_second.claim_next_second(session, p["reviewer"]),
            lambda: review_second.second_queue_depth(session, p["reviewer"]),
            lambda: review_second.decide_second(session, p["reviewer"], ids[0], Decision.APPROVE),
            lambda: review_second.disagreements(session, p["reviewer"]),
        ):
            with pytest.raises(AccessDenied):
                call()
