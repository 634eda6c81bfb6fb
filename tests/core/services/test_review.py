"""The review queue and decisions, on real photos through the real pipeline, on both databases."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC

import pytest
from sqlalchemy import func, select

from core.domain.access import Actor
from core.domain.enums import Decision, EducationCategory, QuotaEntryType, QuotaKind, Role, SecondReviewReason, SubmissionState
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound, QuotaExceeded
from core.models import AuditEvent, Notification, QuotaEntry, ReviewDecision, Submission
from core.services import review
from core.services.policy import set_policy_value
from core.services.review import QueueFilter
from core.services.review_view import review_item
from tests import factories as f

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@dataclass
class World:
    school_id: int
    task_id: int
    template_id: int
    reviewers: list[Actor]
    admin: Actor


@pytest.fixture
def world(env, fixtures_dir) -> World:
    """One real capture (person 003, smiling) against their enrolment photo (neutral), processed by
    the real pipeline and submitted; three reviewers and an admin."""
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        template = f.submit_real_capture(session, store, task, record, fixtures_dir / "london")
        reviewers = [f.actor_of(f.make_staff(session, Role.REVIEWER, f"reviewer{i}")) for i in range(3)]
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        template.submitted_at = T0 - timedelta(hours=1)
        return World(school.id, task.id, template.id, reviewers, admin)


def queue(db, world: World, count: int, *, start: datetime = T0, **fields) -> list[int]:
    """``count`` more photos awaiting review, one minute apart, sharing the template's photos."""
    ids = []
    with db.session() as session:
        template = session.get(Submission, world.template_id)
        school = template.task.school
        base = session.scalar(select(func.count()).select_from(Submission)) * 1000
        for i in range(count):
            record = f.make_record(session, school, base + i + 10)
            ids.append(f.share_photos(session, template, record, template.task, start + timedelta(minutes=i),
                                      **fields).id)
    return ids


def test_real_capture_arrives_in_the_queue_with_its_score_and_checks(env, world):
    db, store = env
    a = world.reviewers[0]
    with db.session() as session:
        claimed = review.claim_next(session, a, now=T0)
        assert claimed.submission_id == world.template_id
        item = review_item(session, a, claimed.submission_id)
    assert item.state is SubmissionState.AWAITING_REVIEW
    assert item.band.label_zh == "同一人"
    assert item.face_similarity is not None and item.face_similarity > 80, "percent scale"
    assert item.checks and all(c.allowed for c in item.checks)
    assert store.exists(item.standardised_sha) and store.exists(item.enrolment_sha)
    assert item.thumbnail_sha and store.exists(item.thumbnail_sha)
    assert item.id_masked.endswith(item.id_masked[-4:]) and item.id_masked.count("*") == 14
    assert item.held_by_me and item.claim_expires_at == T0 + timedelta(seconds=300)


def test_claims_go_oldest_first_never_twice_and_lapse_after_expiry(db, world):
    a, b, c = world.reviewers
    ids = queue(db, world, 2)
    with db.session() as session:
        first = review.claim_next(session, a, now=T0).submission_id
        second = review.claim_next(session, b, now=T0).submission_id
        again = review.claim_next(session, a, now=T0 + timedelta(seconds=60)).submission_id
        third = review.claim_next(session, c, now=T0 + timedelta(seconds=60)).submission_id
    assert (first, second, third) == (world.template_id, ids[0], ids[1])
    assert again == first, "a reloaded tab resumes the photo it holds"
    with db.session() as session:
        assert review.claim_next(session, c, now=T0 + timedelta(seconds=200)).submission_id == third
        assert review.claim_next(session, world.admin, now=T0 + timedelta(seconds=200)) is None
        depth = review.queue_depth(session, a, now=T0 + timedelta(seconds=200))
        assert (depth.waiting, depth.held) == (0, 3)
        # A's claim (taken at T0+60s by the resume) lapses 300 s later; the photo returns to the queue.
        lapsed = review.claim_next(session, world.admin, now=T0 + timedelta(seconds=361))
        assert lapsed.submission_id == first
        with pytest.raises(Conflict, match="claim may have expired"):
            review.decide(session, a, first, Decision.APPROVE, now=T0 + timedelta(seconds=362))


def test_filters_pick_only_matching_photos(db, world):
    with db.session() as session:
        other_school = f.make_school(session, "10487", "华中科技大学")
        graduate = f.make_task(session, other_school, category=EducationCategory.GRADUATE, title="研究生采集")
        graduate_id = graduate.id
    uncertain = queue(db, world, 1, face_verdict="uncertain", face_similarity=0.45)[0]
    unscored = queue(db, world, 1, face_verdict=None, face_similarity=None, face_distance=None)[0]
    blurred = queue(db, world, 1, quality_flags="sharpness,eyes_open")[0]
    third_try = queue(db, world, 1, attempt_number=3)[0]
    elsewhere = queue(db, world, 1, task_id=graduate_id)[0]
    a = world.reviewers[0]

    def pick(**kw):
        with db.session() as session:
            found = review.claim_next(session, a, QueueFilter(**kw), now=T0)
            if found is not None:
                review.release(session, a, found.submission_id)
            return found.submission_id if found else None

    assert pick(band="uncertain") == uncertain
    assert pick(band=review.NO_SCORE) == unscored
    assert pick(quality="eyes_open") == blurred
    assert pick(quality="sharp") is None, "a flag matches whole codes only"
    assert pick(min_resubmissions=2) == third_try
    assert pick(school_id=world.school_id, newest_first=True) == third_try
    assert pick(category=EducationCategory.GRADUATE) == elsewhere
    assert pick(task_id=graduate_id) == elsewhere
    assert pick(quality="passed", band="same", school_id=world.school_id) == world.template_id
    with db.session() as session:
        rows = review.list_queue(session, a, QueueFilter(quality="failed"))
        assert [r.submission_id for r in rows] == [blurred]
        assert rows[0].quality_flags == ("sharpness", "eyes_open")
        assert review.queue_depth(session, a, QueueFilter(school_id=world.school_id)).waiting == 5


def test_approve_and_reject_notify_the_student_and_are_audited(db, world):
    a = world.reviewers[0]
    other = queue(db, world, 1)[0]
    with db.session() as session:
        review.claim_next(session, a, now=T0)
        approved = review.decide(session, a, world.template_id, Decision.APPROVE, now=T0 + timedelta(seconds=12))
        _rejected, following = review.decide_and_claim_next(
            session, a, other, Decision.REJECT, reason_code="glasses_glare", now=T0 + timedelta(seconds=20))
    assert following is None
    with db.session() as session:
        assert approved.seconds_spent == 12.0, "time from claim to decision"
        assert session.get(Submission, world.template_id).state is SubmissionState.APPROVED
        assert session.get(Submission, other).state is SubmissionState.REJECTED
        texts = [n.body for n in session.scalars(select(Notification).order_by(Notification.id))]
        assert any("眼镜反光遮挡眼睛" in t for t in texts)
        assert any("已通过人工审核" in t for t in texts)
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == a.id)).all()
        assert {"review.approve", "review.reject"} <= set(actions)
        assert review.my_count_today(session, a, now=T0) == 2


def test_bad_reasons_are_refused_and_change_nothing(db, world):
    a = world.reviewers[0]
    with db.session() as session:
        with pytest.raises(InvalidInput, match="rejection reason"):
            review.decide(session, a, world.template_id, Decision.REJECT, reason_code="ugly")
        with pytest.raises(InvalidInput, match="other"):
            review.decide(session, a, world.template_id, Decision.REJECT, reason_code="other", note="  ")
        with pytest.raises(NotFound):
            review.decide(session, a, 999_999, Decision.APPROVE)
    with db.session() as session:
        assert session.get(Submission, world.template_id).state is SubmissionState.AWAITING_REVIEW
        assert session.scalar(select(func.count(ReviewDecision.id))) == 0
        review.decide(session, a, world.template_id, Decision.REJECT, reason_code="other", note="耳朵被遮挡")
    with db.session() as session:
        assert "耳朵被遮挡" in session.scalars(select(Notification.body)).all()[-1]


def test_second_decision_on_a_decided_photo_is_a_conflict_not_an_overwrite(db, world):
    a, b, _ = world.reviewers
    with db.session() as session:
        review.decide(session, a, world.template_id, Decision.APPROVE, now=T0)
    with db.session() as session, pytest.raises(Conflict, match="already decided"):
        review.decide(session, b, world.template_id, Decision.REJECT, reason_code="blurred", now=T0)
    with db.session() as session:
        assert session.get(Submission, world.template_id).state is SubmissionState.APPROVED
        assert [d.reviewer_id for d in session.scalars(select(ReviewDecision))] == [a.id]


def test_a_photo_held_by_another_reviewer_cannot_be_decided_or_claimed(db, world):
    a, b, _ = world.reviewers
    with db.session() as session:
        review.claim_next(session, a, now=T0)
    with db.session() as session:
        with pytest.raises(Conflict, match="Another reviewer"):
            review.decide(session, b, world.template_id, Decision.APPROVE, now=T0 + timedelta(seconds=5))
        with pytest.raises(Conflict):
            review.claim(session, b, world.template_id, now=T0 + timedelta(seconds=5))


def test_undo_returns_the_photo_to_its_reviewer_until_it_is_in_a_batch(db, world):
    a, b, _ = world.reviewers
    with db.session() as session:
        row = review.decide(session, a, world.template_id, Decision.REJECT, reason_code="blurred", now=T0)
    with db.session() as session:
        with pytest.raises(Conflict, match="own decisions"):
            review.undo(session, b, row.decision_id)
    with db.session() as session:
        returned = review.undo(session, a, row.decision_id, now=T0 + timedelta(seconds=30))
        submission = session.get(Submission, returned.submission_id)
        assert submission.state is SubmissionState.AWAITING_REVIEW
        assert submission.claimed_by_id == a.id
        assert review.claim_next(session, b, now=T0 + timedelta(seconds=31)) is None, "still held by A"
        assert review.my_count_today(session, a, now=T0) == 0
        with pytest.raises(NotFound):
            review.undo(session, a, row.decision_id)
        again = review.decide(session, a, world.template_id, Decision.APPROVE, now=T0 + timedelta(seconds=40))
    with db.session() as session:
        from core.domain.states import Event, transition

        submission = session.get(Submission, world.template_id)
        submission.state = transition(submission.state, Event.ADD_TO_BATCH)
    with db.session() as session, pytest.raises(Conflict, match="CHSI batch"):
        review.undo(session, a, again.decision_id)


def test_skip_hands_the_photo_to_others_and_claims_the_next(db, world):
    a, b, _ = world.reviewers
    later = queue(db, world, 1)[0]
    with db.session() as session:
        review.claim_next(session, a, now=T0)
        nxt = review.skip(session, a, world.template_id, now=T0 + timedelta(seconds=3))
        assert nxt.submission_id == later
        assert review.claim_next(session, b, now=T0 + timedelta(seconds=4)).submission_id == world.template_id
        assert review.skip(session, a, later, exclude={world.template_id}, now=T0 + timedelta(seconds=5)) is None
        assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "review.skip")) == 2


def test_my_count_today_follows_the_china_calendar_day(db, world):
    a = world.reviewers[0]
    ids = queue(db, world, 2)
    before_midnight = datetime(2026, 6, 1, 15, 50, tzinfo=UTC)  # 23:50 Beijing
    after_midnight = datetime(2026, 6, 1, 16, 10, tzinfo=UTC)  # 00:10 next day
    with db.session() as session:
        review.decide(session, a, ids[0], Decision.APPROVE, now=before_midnight)
        review.decide(session, a, ids[1], Decision.APPROVE, now=after_midnight)
        assert review.my_count_today(session, a, now=before_midnight) == 1
        assert review.my_count_today(session, a, now=after_midnight) == 1
        assert review.my_count_today(session, world.reviewers[1], now=after_midnight) == 0


def test_only_review_roles_may_work_the_queue(db, world):
    with db.session() as session:
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg", school=session.get(Submission, world.template_id).task.school))
        support = f.actor_of(f.make_staff(session, Role.SUPPORT, "support"))
        for actor in (registrar, support, Actor.student(1, "同学")):
            with pytest.raises(AccessDenied):
                review.claim_next(session, actor)
            with pytest.raises(AccessDenied):
                review.decide(session, actor, world.template_id, Decision.APPROVE)
            with pytest.raises(AccessDenied):
                review_item(session, actor, world.template_id)


def test_quota_override_from_the_review_screen_is_granted_audited_and_sent_to_second_review(db, world):
    a = world.reviewers[0]
    with db.session() as session:
        entry = review.grant_override(session, a, world.template_id, QuotaKind.SUBMISSION, "学生反映光线问题，赠送一次")
        assert entry.submission_id == world.template_id
        with pytest.raises(InvalidInput):
            review.grant_override(session, a, world.template_id, QuotaKind.SUBMISSION, " ")
    with db.session() as session:
        submission = session.get(Submission, world.template_id)
        assert submission.needs_second_review and submission.second_review_reason == SecondReviewReason.QUOTA_OVERRIDE
        item = review_item(session, a, world.template_id)
        assert [g.reason for g in item.grants] == ["学生反映光线问题，赠送一次"]
        assert item.quota.submissions_left == 2  # 2 free + 1 granted - 1 used
        review.decide(session, a, world.template_id, Decision.APPROVE, rng=random.Random(1))
    with db.session() as session:
        assert session.get(Submission, world.template_id).second_review_reason == SecondReviewReason.QUOTA_OVERRIDE
        with pytest.raises(QuotaExceeded, match="approved"):
            review.grant_override(session, a, world.template_id, QuotaKind.REPLACEMENT, "想换一张")
    with db.session() as session:
        assert session.scalar(select(func.count(QuotaEntry.id)).where(QuotaEntry.entry_type == QuotaEntryType.GRANT)) == 1


def test_approvals_go_to_second_review_by_face_band_and_by_sample(db, world):
    a = world.reviewers[0]
    uncertain, unscored, same_a, same_b = (
        queue(db, world, 1, face_verdict="uncertain")[0], queue(db, world, 1, face_verdict=None)[0],
        *queue(db, world, 2),
    )
    rejected_uncertain = queue(db, world, 1, face_verdict="uncertain")[0]
    with db.session() as session:
        set_policy_value(session, world.admin, "second_review_rate", 0.0)
        for sid in (uncertain, unscored, same_a):
            review.decide(session, a, sid, Decision.APPROVE)
        review.decide(session, a, rejected_uncertain, Decision.REJECT, reason_code="not_same_person")
        set_policy_value(session, world.admin, "second_review_rate", 1.0)
        review.decide(session, a, same_b, Decision.APPROVE)
    with db.session() as session:
        flagged = {s.id: s.second_review_reason for s in session.scalars(
            select(Submission).where(Submission.needs_second_review.is_(True)))}
    assert flagged == {uncertain: SecondReviewReason.FACE_NOT_SAME, unscored: SecondReviewReason.FACE_NOT_SAME,
                       same_b: SecondReviewReason.SAMPLED}


def test_undoing_an_approval_withdraws_its_second_review(db, world):
    a = world.reviewers[0]
    uncertain = queue(db, world, 1, face_verdict="uncertain")[0]
    with db.session() as session:
        row = review.decide(session, a, uncertain, Decision.APPROVE)
        assert session.get(Submission, uncertain).needs_second_review
        review.undo(session, a, row.decision_id)
        assert not session.get(Submission, uncertain).needs_second_review
