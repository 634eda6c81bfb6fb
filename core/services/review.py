"""Review decisions: approve, reject with a reason, undo. Two reviewers deciding the same photo
never both win: the row is locked (PostgreSQL ``FOR UPDATE``; SQLite's immediate transaction) and
re-checked, and the version column rejects any stale write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.access import REVIEW_ROLES, Actor, require_role
from core.domain.enums import Decision, SubmissionState
from core.domain.reasons import BY_CODE
from core.domain.states import STATE_LABELS_ZH, Event, transition
from core.errors import Conflict, InvalidInput, NotFound
from core.models import ReviewDecision, Submission, utcnow
from core.services import audit
from core.services.notifications import notify


def lock_submission(session: Session, submission_id: int) -> Submission:
    submission = session.scalars(
        select(Submission).where(Submission.id == submission_id).with_for_update()
    ).first()
    if submission is None:
        raise NotFound("照片不存在。", "No such submission.")
    return submission


def decide(
    session: Session,
    actor: Actor,
    submission_id: int,
    decision: Decision,
    *,
    reason_code: str | None = None,
    note: str = "",
    seconds_spent: float | None = None,
    now: datetime | None = None,
) -> ReviewDecision:
    require_role(actor, *REVIEW_ROLES)
    moment = now or utcnow()
    if decision is Decision.REJECT:
        if reason_code not in BY_CODE:
            raise InvalidInput("请选择驳回原因。", "Choose a rejection reason.")
        if BY_CODE[reason_code].needs_note and not note.strip():
            raise InvalidInput("选择“其他”时请填写说明。", "Add a note when the reason is 'other'.")
    submission = lock_submission(session, submission_id)
    if submission.state is not SubmissionState.AWAITING_REVIEW:
        raise Conflict(
            f"该照片已被处理（当前状态：{STATE_LABELS_ZH[submission.state]}），未保存您的决定。",
            "Someone else already decided this photo; your decision was not saved.",
            state=submission.state.value,
        )
    if submission.claimed_by_id not in (None, actor.id) and submission.claim_expires_at and submission.claim_expires_at > moment:
        raise Conflict("该照片正由其他审核员审核。", "Another reviewer holds this photo.")
    event = Event.APPROVE if decision is Decision.APPROVE else Event.REJECT
    submission.state = transition(submission.state, event)
    submission.decided_at = moment
    submission.claimed_by_id = None
    submission.claim_expires_at = None
    row = ReviewDecision(
        submission_id=submission.id,
        reviewer_id=actor.id,
        decision=decision,
        reason_code=reason_code if decision is Decision.REJECT else None,
        note=note,
        seconds_spent=seconds_spent,
        decided_at=moment,
    )
    session.add(row)
    session.flush()
    record = submission.roster_record
    audit.record(session, actor, f"review.{decision.value}", "submission", submission.id,
                 school_id=record.school_id, roster_record_id=record.id, reason=reason_code, note=note)
    if decision is Decision.APPROVE:
        notify(session, record.id, "review_result", "审核通过",
               "您的照片已通过人工审核，将在 7-10 个工作日内上传学信网。", submission_id=submission.id)
    else:
        reason = BY_CODE[reason_code or "other"]
        notify(session, record.id, "review_result", "审核未通过",
               f"驳回原因：{reason.student_text_zh}{(' 备注：' + note) if note else ''}",
               submission_id=submission.id, reason=reason.code)
    return row


def undo(session: Session, actor: Actor, decision_id: int, *, now: datetime | None = None) -> Submission:
    """The reviewer takes back their own decision while the photo is not yet in a CHSI batch."""
    require_role(actor, *REVIEW_ROLES)
    row = session.get(ReviewDecision, decision_id)
    if row is None or row.undone_at is not None:
        raise NotFound("没有可撤销的审核决定。", "No decision to undo.")
    if row.reviewer_id != actor.id:
        raise Conflict("只能撤销自己的审核决定。", "You can only undo your own decisions.")
    submission = lock_submission(session, row.submission_id)
    if submission.state not in (SubmissionState.APPROVED, SubmissionState.REJECTED):
        raise Conflict(
            f"照片当前状态为“{STATE_LABELS_ZH[submission.state]}”，已不能撤销。",
            "The photo has moved on (e.g. into a CHSI batch); the decision can no longer be undone.",
        )
    submission.state = transition(submission.state, Event.UNDO_DECISION)
    submission.decided_at = None
    row.undone_at = now or utcnow()
    record = submission.roster_record
    audit.record(session, actor, "review.undo", "submission", submission.id, school_id=record.school_id,
                 roster_record_id=record.id, decision_id=row.id)
    session.flush()
    return submission
