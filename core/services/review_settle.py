"""Settling a disagreement between a first decision and its blind second review, so the photo ends
with one decision and the student is told the one that counts.

By default (``Policy.disagreement_settlement`` = adjudication) a third senior, neither of the two
reviewers, decides which way; where the policy says so, the senior's second decision stands the
moment it is given (``review_second.decide_second`` calls ``apply_settlement``). Either way the
photo follows the settled decision through the state machine (``core.domain.settlement``): an
approval overturned becomes a rejection with the settled reason, and the student is told after
commit (the outbox) so they reshoot under the usual rules after a rejection; a rejection
overturned becomes an approval. A photo in a batch not yet exported leaves the batch; one CHSI has
or may have (on CHSI, or in an exported batch) is not taken back: the settlement is recorded and
the school's registrar finds the photo on their chase list to have it replaced on CHSI. Each disagreement is settled once (a unique second-review id, checked under the row lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from core.domain.access import SCHOOL_DATA_ROLES, SENIOR_ROLES, Actor, allowed, internal, require_role, require_school
from core.domain.enums import BatchStatus, Decision, SettlementMode, SettlementOutcome, SubmissionState
from core.domain.reasons import BY_CODE, check_decision
from core.domain.settlement import effect, may_adjudicate
from core.domain.states import LIVE, STATE_LABELS_ZH, Event, transition
from core.domain.text import clean_text
from core.errors import AccessDenied, Conflict, NotFound
from core.models import (
    BatchItem,
    ReviewDecision,
    ReviewSettlement,
    RosterRecord,
    StaffUser,
    Submission,
    UploadBatch,
    utcnow,
)
from core.services import audit
from core.services.notifications import notify
from core.services.review import NOTE, lock_submission


@dataclass(frozen=True)
class SettlementView:
    settlement_id: int
    submission_id: int
    mode: SettlementMode
    decision: Decision
    reason_code: str | None
    note: str
    outcome: SettlementOutcome
    state_before: SubmissionState
    state_after: SubmissionState
    settled_by: str | None
    settled_at: datetime
    upheld_first: bool
    """The settled decision is the first reviewer's (False: the second review's)."""


@internal
def settlement_view(row: ReviewSettlement, first: Decision, settled_by: str | None) -> SettlementView:
    return SettlementView(row.id, row.submission_id, row.mode, row.decision, row.reason_code, row.note, row.outcome,
                          row.state_before, row.state_after, settled_by, row.settled_at, row.decision is first)


def _reviews(session: Session, submission_id: int) -> tuple[ReviewDecision, ReviewDecision] | None:
    """The standing first decision and second review of a photo, when both exist."""
    def latest(second: bool) -> ReviewDecision | None:
        return session.scalars(
            select(ReviewDecision).where(ReviewDecision.submission_id == submission_id,
                                         ReviewDecision.is_second_review.is_(second),
                                         ReviewDecision.undone_at.is_(None))
            .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc()).limit(1)
        ).first()

    first, second = latest(False), latest(True)
    return (first, second) if first is not None and second is not None else None


@internal
def settlement_of(session: Session, submission_id: int) -> ReviewSettlement | None:
    return session.scalars(
        select(ReviewSettlement).where(ReviewSettlement.submission_id == submission_id)
        .order_by(ReviewSettlement.id.desc()).limit(1)
    ).first()


def _newer_photo_in_hand(session: Session, submission: Submission) -> bool:
    """The student already has a later photo submitted, in review, approved or sent."""
    return bool(session.scalar(select(exists().where(
        Submission.roster_record_id == submission.roster_record_id, Submission.task_id == submission.task_id,
        Submission.id > submission.id, Submission.state.in_(LIVE)))))


def _draft_batch_item(session: Session, submission: Submission) -> BatchItem | None:
    """The photo's place in a batch not yet exported (that batch's row locked, as ``remove_item``
    does), or None when its batch has left for CHSI."""
    return session.scalars(
        select(BatchItem).join(UploadBatch, UploadBatch.id == BatchItem.batch_id)
        .where(BatchItem.submission_id == submission.id, UploadBatch.status == BatchStatus.DRAFT)
        .with_for_update(of=UploadBatch)
    ).first()


@internal
def apply_settlement(session: Session, actor: Actor, submission: Submission, first: ReviewDecision,
                     second: ReviewDecision, decision: Decision, reason_code: str | None, note: str,
                     mode: SettlementMode, moment: datetime) -> ReviewSettlement:
    """Records the settled decision and moves the photo to it, in the caller's transaction (the
    caller holds the submission's row lock and has checked the decision)."""
    before = submission.state
    draft_item = _draft_batch_item(session, submission) if before is SubmissionState.IN_BATCH else None
    result = effect(before, decision, newer_photo_in_hand=_newer_photo_in_hand(session, submission),
                    in_unsent_batch=draft_item is not None)
    removed_from = None
    for event in result.events:
        submission.state = transition(submission.state, event)
        if event is Event.REMOVE_FROM_BATCH and draft_item is not None:
            removed_from = draft_item.batch.number
            session.delete(draft_item)
    if result.events:
        submission.decided_at = moment
    record = submission.roster_record
    row = ReviewSettlement(
        submission_id=submission.id, school_id=record.school_id, first_decision_id=first.id,
        second_decision_id=second.id, mode=mode, settled_by_id=actor.id if actor.is_staff else None,
        decision=decision, reason_code=reason_code if decision is Decision.REJECT else None, note=note,
        outcome=result.outcome, state_before=before, state_after=submission.state, settled_at=moment,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "review.settle", "submission", submission.id, school_id=record.school_id,
                 roster_record_id=record.id, mode=mode, decision=decision, reason=row.reason_code, note=note,
                 outcome=result.outcome, state_before=before, state_after=submission.state,
                 upheld="first" if decision is first.decision else "second", removed_from_batch=removed_from,
                 first_decision_id=first.id, second_decision_id=second.id, settlement_id=row.id)
    if result.outcome is SettlementOutcome.APPLIED:
        if decision is Decision.REJECT:
            reason = BY_CODE[reason_code or "other"]
            notify(session, record.id, "review_result", "复核后审核未通过",
                   f"您的照片经复核未通过，请按要求重新拍摄并提交。驳回原因：{reason.student_text_zh}"
                   f"{(' 备注：' + note) if note else ''}",
                   submission_id=submission.id, reason=reason.code, settlement_id=row.id)
        else:
            notify(session, record.id, "review_result", "复核后审核通过",
                   "您的照片经复核已通过人工审核，无需重新拍摄，将在 7-10 个工作日内上传学信网。",
                   submission_id=submission.id, settlement_id=row.id)
    return row


@allowed(*SENIOR_ROLES)
def settle(
    session: Session,
    actor: Actor,
    submission_id: int,
    decision: Decision,
    *,
    reason_code: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> SettlementView:
    """A senior who was neither reviewer decides a disagreement. Rejecting without a reason of
    one's own takes the rejecting reviewer's reason and note (the student reads them)."""
    require_role(actor, *SENIOR_ROLES)
    moment = now or utcnow()
    note = clean_text(note, NOTE)
    submission = lock_submission(session, submission_id)
    reviews = _reviews(session, submission.id)
    if reviews is None or reviews[0].decision is reviews[1].decision:
        raise Conflict("该照片没有待裁定的初审与复核分歧。", "This photo has no disagreement to settle.")
    first, second = reviews
    done = session.scalar(select(ReviewSettlement).where(ReviewSettlement.second_decision_id == second.id))
    if done is not None:
        raise Conflict("该分歧已裁定，未重复处理。", "This disagreement was already settled; nothing changed.",
                       settlement_id=done.id)
    if not may_adjudicate(actor.id, first.reviewer_id, second.reviewer_id):
        raise AccessDenied("初审或复核本人不能裁定这一分歧，请由另一名复核员裁定。",
                           "A reviewer of this photo cannot settle its disagreement; another senior must.")
    if decision is Decision.REJECT and reason_code is None:
        rejecting = first if first.decision is Decision.REJECT else second
        reason_code, note = rejecting.reason_code, note or rejecting.note
    check_decision(decision, reason_code, note)
    row = apply_settlement(session, actor, submission, first, second, decision, reason_code, note,
                           SettlementMode.ADJUDICATION, moment)
    return settlement_view(row, first.decision, actor.name)


@dataclass(frozen=True)
class Replacement:
    """A photo already sent to CHSI that a settled second review found unfit: the registrar has it
    replaced on CHSI (the student reshoots; the registrar uploads the new photo there)."""

    settlement_id: int
    submission_id: int
    student_name: str
    student_number: str
    id_last4: str
    state: SubmissionState
    reason_code: str | None
    note: str
    settled_at: datetime
    replaced_at: datetime | None
    replaced_by: str | None

    @property
    def state_label(self) -> str:
        return STATE_LABELS_ZH[self.state]


@allowed(*SCHOOL_DATA_ROLES)
def replacements_for_school(session: Session, actor: Actor, school_id: int, *,
                            include_done: bool = False) -> list[Replacement]:
    """The school's photos to replace on CHSI, oldest first."""
    require_role(actor, *SCHOOL_DATA_ROLES)
    require_school(actor, school_id)
    replacer = aliased(StaffUser)
    query = (
        select(ReviewSettlement, Submission.state, RosterRecord.name, RosterRecord.student_number,
               RosterRecord.id_last4, replacer.display_name)
        .join(Submission, Submission.id == ReviewSettlement.submission_id)
        .join(RosterRecord, RosterRecord.id == Submission.roster_record_id)
        .outerjoin(replacer, replacer.id == ReviewSettlement.replaced_by_id)
        .where(ReviewSettlement.school_id == school_id,
               ReviewSettlement.outcome == SettlementOutcome.REPLACE_ON_CHSI)
        .order_by(ReviewSettlement.settled_at, ReviewSettlement.id)
    )
    if not include_done:
        query = query.where(ReviewSettlement.replaced_at.is_(None))
    return [
        Replacement(row.id, row.submission_id, name, number, last4, state, row.reason_code, row.note,
                    row.settled_at, row.replaced_at, by)
        for row, state, name, number, last4, by in session.execute(query)
    ]


@allowed(*SCHOOL_DATA_ROLES)
def mark_replaced(session: Session, actor: Actor, submission_id: int, *,
                  now: datetime | None = None) -> Replacement:
    """The registrar says the photo was replaced on CHSI; it leaves their desk. Audited."""
    require_role(actor, *SCHOOL_DATA_ROLES)
    row = session.scalars(
        select(ReviewSettlement).where(ReviewSettlement.submission_id == submission_id,
                                       ReviewSettlement.outcome == SettlementOutcome.REPLACE_ON_CHSI)
        .order_by(ReviewSettlement.id.desc()).limit(1).with_for_update()
    ).first()
    if row is None:
        raise NotFound("没有需要在学信网更换的这张照片。", "No such photo to replace on CHSI.")
    require_school(actor, row.school_id)
    if row.replaced_at is not None:
        raise Conflict("该照片已标记为已更换。", "This photo was already marked as replaced.")
    row.replaced_at, row.replaced_by_id = now or utcnow(), actor.id
    session.flush()
    submission = session.get(Submission, row.submission_id)
    audit.record(session, actor, "review.replaced_on_chsi", "submission", row.submission_id, school_id=row.school_id,
                 roster_record_id=submission.roster_record_id if submission else None, settlement_id=row.id)
    return next(r for r in replacements_for_school(session, actor, row.school_id, include_done=True)
                if r.settlement_id == row.id)
