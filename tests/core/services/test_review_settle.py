"""Settling a disagreement between first and second review: the photo follows the settled decision,
the student is told after commit, a photo already sent to CHSI goes to the registrar instead, and
only a third senior may adjudicate, once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.domain.enums import (
    Decision,
    QuotaKind,
    Role,
    SettlementMode,
    SettlementOutcome,
    SubmissionState,
)
from core.errors import AccessDenied, Conflict
from core.models import AuditEvent, BatchItem, Notification, ReviewSettlement, StudentAccount, Submission
from core.services import batches, review, review_second, review_settle, student_flow
from core.services.policy import get_policy, list_choices, set_policy_choice, set_policy_value
from core.services.review_stats import reviewer_stats, settlement_summary
from core.domain.quotas import local_day
from tests import factories as f

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def world(env, fixtures_dir):
    """Three photos sharing one real processed capture (the first with a linked student who allowed
    WeChat notifications, so being told means a message sent); a
    reviewer, two seniors, an admin and the school's registrar; every approval sampled."""
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        other_school = f.make_school(session, code="10487", name="华中科技大学")
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        template = f.submit_real_capture(session, store, task, record, fixtures_dir / "london")
        template.submitted_at = T0 - timedelta(hours=1)
        f.allow_wechat_messages(session, session.get(StudentAccount, template.account_id))
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
            "registrar": f.actor_of(f.make_staff(session, Role.REGISTRAR, "registrar", school)),
            "other_registrar": f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg2", other_school)),
        }
        set_policy_value(session, people["admin"], "second_review_rate", 1.0)
        task_id, school_id = task.id, school.id
    return db, store, ids, people, task_id, school_id


def disagree(db, p, sid, first: Decision, *, reason="hair_covers", note="眉毛被遮住"):
    """The reviewer decides ``first``; the senior, blind, decides the other way."""
    second = Decision.REJECT if first is Decision.APPROVE else Decision.APPROVE
    with db.session() as session:
        if first is Decision.REJECT:
            review.grant_override(session, p["reviewer"], sid, QuotaKind.SUBMISSION, "学校补拍，复核一下")
        review.decide(session, p["reviewer"], sid, first, reason_code=None if first is Decision.APPROVE else "blurred",
                      now=T0)
    with db.session() as session:
        opinion = review_second.decide_second(
            session, p["senior"], sid, second, reason_code=reason if second is Decision.REJECT else None,
            note=note if second is Decision.REJECT else "", now=T0 + timedelta(minutes=1))
    return opinion


def real_code_linked(session, sid):
    """The student linked their CHSI collection code (a photo on a temporary code is held from batches)."""
    session.get(Submission, sid).on_temporary_code = False
    session.flush()


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_an_approval_settled_as_a_rejection_rejects_the_photo_and_tells_the_student_after_commit(world):
    db, _store, ids, p, _task, _school = world
    opinion = disagree(db, p, ids[0], Decision.APPROVE)
    assert not opinion.agrees and opinion.settlement is None, "adjudication by default: nothing applied yet"
    with db.session() as session:
        assert session.get(Submission, ids[0]).state is SubmissionState.APPROVED
        [pending] = review_second.disagreements(session, p["admin"], pending=True)
        assert pending.submission_id == ids[0] and pending.pending
    with db.session() as session:
        settled = review_settle.settle(session, p["senior2"], ids[0], Decision.REJECT, now=T0 + timedelta(minutes=5))
        assert count(session, Notification, Notification.delivered_at.is_not(None),
                     Notification.title == "复核后审核未通过") == 0, "nothing leaves before the commit"
    assert (settled.outcome, settled.state_before, settled.state_after) == (
        SettlementOutcome.APPLIED, SubmissionState.APPROVED, SubmissionState.REJECTED)
    assert (settled.reason_code, settled.note, settled.upheld_first) == ("hair_covers", "眉毛被遮住", False)
    with db.session() as session:
        submission = session.get(Submission, ids[0])
        assert submission.state is SubmissionState.REJECTED
        told = session.scalars(select(Notification).where(Notification.title == "复核后审核未通过")).one()
        assert told.delivered_at is not None and "头发" in told.body and "眉毛被遮住" in told.body
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "review.settle")).one()
        assert event.actor_id == p["senior2"].id and event.detail["upheld"] == "second"
        assert event.detail["outcome"] == "applied"
        link = session.get(Submission, ids[0]).account_id
        from core.models import AccountLink
        status = student_flow.status(session, session.scalars(
            select(AccountLink).where(AccountLink.account_id == link)).one())
        assert status.rejection is not None and status.rejection.label_zh.startswith("头发")
        assert status.submissions_left > 0 and status.next_submission.value == "submission", \
            "the student reshoots under the usual rules after a rejection"
        [done] = review_second.disagreements(session, p["admin"], pending=False)
        assert (done.settled_decision, done.settled_by, done.outcome) == (
            Decision.REJECT, "Senior2", SettlementOutcome.APPLIED)
        assert review_second.disagreements(session, p["admin"], pending=True) == []


def test_a_rejection_settled_as_an_approval_approves_the_photo(world):
    db, _store, ids, p, _task, _school = world
    disagree(db, p, ids[2], Decision.REJECT)
    with db.session() as session:
        assert session.get(Submission, ids[2]).state is SubmissionState.REJECTED
        settled = review_settle.settle(session, p["admin"], ids[2], Decision.APPROVE, note="光线可接受")
    assert settled.outcome is SettlementOutcome.APPLIED and settled.state_after is SubmissionState.APPROVED
    with db.session() as session:
        assert session.get(Submission, ids[2]).state is SubmissionState.APPROVED
        assert count(session, Notification, Notification.title == "复核后审核通过") == 1


def test_a_rejection_is_left_alone_when_the_student_already_has_a_newer_photo(world):
    db, _store, ids, p, _task, _school = world
    disagree(db, p, ids[2], Decision.REJECT)
    with db.session() as session:
        old = session.get(Submission, ids[2])
        newer = f.share_photos(session, old, old.roster_record, old.task, T0 + timedelta(minutes=3))
        settled = review_settle.settle(session, p["senior2"], ids[2], Decision.APPROVE)
        assert settled.outcome is SettlementOutcome.SUPERSEDED
        assert session.get(Submission, ids[2]).state is SubmissionState.REJECTED
        assert session.get(Submission, newer.id).state is SubmissionState.AWAITING_REVIEW


def test_when_the_policy_says_so_the_second_review_stands_at_once(world):
    db, _store, ids, p, _task, _school = world
    with db.session() as session:
        set_policy_choice(session, p["admin"], "disagreement_settlement", "second_stands")
        assert get_policy(session).disagreement_settlement is SettlementMode.SECOND_STANDS
        [choice] = list_choices(session, p["admin"])
        assert (choice.current, choice.default) == ("second_stands", "adjudication")
    opinion = disagree(db, p, ids[0], Decision.APPROVE)
    assert opinion.settlement is not None and opinion.settlement.mode is SettlementMode.SECOND_STANDS
    assert opinion.decision.state is SubmissionState.REJECTED
    with db.session() as session:
        assert session.get(Submission, ids[0]).state is SubmissionState.REJECTED
        assert review_second.disagreements(session, p["admin"], pending=True) == []
        with pytest.raises(Conflict, match="already settled"):
            review_settle.settle(session, p["senior2"], ids[0], Decision.APPROVE)
    with db.session() as session:
        assert count(session, ReviewSettlement) == 1
        assert count(session, AuditEvent, AuditEvent.action == "policy.change") == 2


def test_an_unknown_policy_word_is_refused(world):
    db, _store, _ids, p, _task, _school = world
    from core.errors import InvalidInput

    with db.session() as session, pytest.raises(InvalidInput) as refused:
        set_policy_choice(session, p["admin"], "disagreement_settlement", "coin_toss")
    assert "无效" in refused.value.message_zh
    with db.session() as session, pytest.raises(AccessDenied):
        set_policy_choice(session, p["senior"], "disagreement_settlement", "second_stands")


def test_a_photo_already_sent_to_chsi_is_not_taken_back_and_the_registrar_is_told(world, tmp_path):
    db, store, ids, p, task_id, school_id = world
    disagree(db, p, ids[0], Decision.APPROVE)
    with db.session() as session:
        real_code_linked(session, ids[0])
        view = batches.build_batch(session, p["registrar"], task_id, store)
        batches.export_package(session, p["registrar"], view.id, store, tmp_path / "exports", retention_days=7)
    with db.session() as session:
        settled = review_settle.settle(session, p["senior2"], ids[0], Decision.REJECT)
    assert settled.outcome is SettlementOutcome.REPLACE_ON_CHSI
    with db.session() as session:
        assert session.get(Submission, ids[0]).state is SubmissionState.IN_BATCH, "refused: it stays as it was"
        assert count(session, Notification, Notification.title == "复核后审核未通过") == 0
        [todo] = review_settle.replacements_for_school(session, p["registrar"], school_id)
        assert (todo.submission_id, todo.reason_code, todo.state) == (ids[0], "hair_covers", SubmissionState.IN_BATCH)
        with pytest.raises(AccessDenied):
            review_settle.replacements_for_school(session, p["other_registrar"], school_id)
        with pytest.raises(AccessDenied):
            review_settle.mark_replaced(session, p["other_registrar"], todo.submission_id)
    with db.session() as session:
        done = review_settle.mark_replaced(session, p["registrar"], todo.submission_id)
        assert done.replaced_at is not None and done.replaced_by == "Registrar"
    with db.session() as session:
        assert review_settle.replacements_for_school(session, p["registrar"], school_id) == []
        assert count(session, AuditEvent, AuditEvent.action == "review.replaced_on_chsi") == 1
        with pytest.raises(Conflict):
            review_settle.mark_replaced(session, p["registrar"], todo.submission_id)


def test_a_photo_in_a_batch_not_yet_exported_leaves_the_batch_and_is_rejected(world):
    db, store, ids, p, task_id, _school = world
    disagree(db, p, ids[0], Decision.APPROVE)
    with db.session() as session:
        real_code_linked(session, ids[0])
        batches.build_batch(session, p["registrar"], task_id, store)
    with db.session() as session:
        settled = review_settle.settle(session, p["senior2"], ids[0], Decision.REJECT)
        assert settled.outcome is SettlementOutcome.APPLIED and settled.state_before is SubmissionState.IN_BATCH
    with db.session() as session:
        assert session.get(Submission, ids[0]).state is SubmissionState.REJECTED
        assert count(session, BatchItem, BatchItem.submission_id == ids[0]) == 0


def test_only_a_third_senior_may_settle_and_nothing_is_half_applied(world):
    db, _store, ids, p, _task, _school = world
    disagree(db, p, ids[0], Decision.APPROVE)
    for who in ("reviewer", "registrar"):
        with db.session() as session, pytest.raises(AccessDenied):
            review_settle.settle(session, p[who], ids[0], Decision.REJECT)
    with db.session() as session, pytest.raises(AccessDenied) as refused:
        review_settle.settle(session, p["senior"], ids[0], Decision.REJECT)
    assert "另一名复核员" in refused.value.message_zh
    with db.session() as session:
        assert count(session, ReviewSettlement) == 0
        assert count(session, AuditEvent, AuditEvent.action == "review.settle") == 0
        assert session.get(Submission, ids[0]).state is SubmissionState.APPROVED
        from core.errors import InvalidInput
        with pytest.raises(InvalidInput):
            review_settle.settle(session, p["senior2"], ids[0], Decision.REJECT, reason_code="other")  # no note
    with db.session() as session:
        assert count(session, ReviewSettlement) == 0


def test_settled_once_agreements_have_nothing_to_settle_and_the_decision_cannot_be_undone(world):
    db, _store, ids, p, _task, _school = world
    disagree(db, p, ids[0], Decision.APPROVE)
    with db.session() as session:
        review.decide(session, p["reviewer"], ids[1], Decision.APPROVE, now=T0)
        review_second.decide_second(session, p["senior"], ids[1], Decision.APPROVE, now=T0)
    with db.session() as session, pytest.raises(Conflict, match="no disagreement"):
        review_settle.settle(session, p["senior2"], ids[1], Decision.APPROVE)
    with db.session() as session:
        review_settle.settle(session, p["senior2"], ids[0], Decision.APPROVE)
    with db.session() as session, pytest.raises(Conflict, match="already settled"):
        review_settle.settle(session, p["admin"], ids[0], Decision.REJECT)
    with db.session() as session:
        decision_id = session.scalars(select(ReviewSettlement.first_decision_id)).one()
    with db.session() as session, pytest.raises(Conflict, match="settled"):
        review.undo(session, p["reviewer"], decision_id)


def test_statistics_count_settled_disagreements_and_which_way(world):
    db, _store, ids, p, _task, _school = world
    disagree(db, p, ids[0], Decision.APPROVE)
    disagree(db, p, ids[1], Decision.APPROVE)
    with db.session() as session:
        review_settle.settle(session, p["senior2"], ids[0], Decision.APPROVE, now=T0 + timedelta(minutes=5))
    day = local_day(T0)
    with db.session() as session:
        [row] = reviewer_stats(session, p["reviewer"], day, day)
        assert (row.second_reviewed, row.agreed, row.disagreed, row.settled, row.upheld, row.pending) == (
            2, 0, 2, 1, 1, 1)
        review_settle.settle(session, p["senior2"], ids[1], Decision.REJECT, now=T0 + timedelta(minutes=6))
        summary = settlement_summary(session, p["admin"], day, day)
        assert (summary.settled, summary.upheld_first, summary.upheld_second) == (2, 1, 1)
        assert (summary.approve_to_reject, summary.reject_to_approve, summary.automatic) == (1, 0, 0)
        assert settlement_summary(session, p["admin"], day + timedelta(days=1), day + timedelta(days=1)).settled == 0


def test_four_seniors_settling_the_same_disagreement_at_once_settle_it_once(world):
    db, _store, ids, p, _task, _school = world
    disagree(db, p, ids[0], Decision.APPROVE)
    with db.session() as session:
        seniors = [f.actor_of(f.make_staff(session, Role.SENIOR_REVIEWER, f"judge{i}")) for i in range(4)]
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(actor, decision) -> None:
        barrier.wait()
        try:
            with db.session() as session:
                review_settle.settle(session, actor, ids[0], decision)
            result = "won"
        except Conflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(actor, Decision.REJECT if i % 2 else Decision.APPROVE))
               for i, actor in enumerate(seniors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * 3 + ["won"]
    with db.session() as session:
        assert count(session, ReviewSettlement) == 1
        assert count(session, AuditEvent, AuditEvent.action == "review.settle") == 1
        settled = session.scalars(select(ReviewSettlement)).one()
        expected = SubmissionState.REJECTED if settled.decision is Decision.REJECT else SubmissionState.APPROVED
        assert session.get(Submission, ids[0]).state is expected
