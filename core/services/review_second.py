"""Second review: a senior reviewer decides again, blind to the first decision, on the photos
``review.decide`` and ``review.grant_override`` flagged; disagreements are listed with both
reviewers' reasons and settled (``review_settle``): by another senior, or at once when the policy
lets the second review stand.

A photo waits here once it has a first decision. The claim columns of the submission are reused
(the photo has left the first queue), with the same ``SKIP LOCKED`` pick, and a senior never
second-reviews their own first decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.domain.access import SENIOR_ROLES, Actor, allowed, internal, require_role
from core.domain.enums import Decision, SecondReviewReason, SettlementMode, SettlementOutcome, SubmissionState
from core.domain.quotas import local_day
from core.domain.reasons import check_decision
from core.domain.text import clean_text
from core.errors import Conflict
from core.models import (
    CollectionTask,
    ReviewDecision,
    ReviewSettlement,
    RosterRecord,
    School,
    StaffUser,
    Submission,
    utcnow,
)
from core.services import audit
from core.services.policy import get_policy
from core.services.review import NOTE, ClaimView, DecisionView, claim_view, decision_view, lock_submission
from core.services.review_settle import SettlementView, apply_settlement, settlement_view

FIRST_DECIDED = (SubmissionState.APPROVED, SubmissionState.REJECTED, SubmissionState.IN_BATCH,
                 SubmissionState.ON_CHSI, SubmissionState.UPLOAD_FAILED)


def _waiting(actor: Actor, moment: datetime) -> list[ColumnElement[bool]]:
    own_first = exists().where(
        ReviewDecision.submission_id == Submission.id,
        ReviewDecision.reviewer_id == actor.id,
        ReviewDecision.is_second_review.is_(False),
        ReviewDecision.undone_at.is_(None),
    )
    return [
        Submission.needs_second_review.is_(True),
        Submission.state.in_(FIRST_DECIDED),
        or_(Submission.claimed_by_id.is_(None), Submission.claim_expires_at < moment,
            Submission.claimed_by_id == actor.id),
        ~own_first,
    ]


@allowed(*SENIOR_ROLES)
def second_queue_depth(session: Session, actor: Actor, now: datetime | None = None) -> int:
    require_role(actor, *SENIOR_ROLES)
    return int(session.scalar(select(func.count(Submission.id)).where(*_waiting(actor, now or utcnow()))) or 0)


@allowed(*SENIOR_ROLES)
def claim_next_second(session: Session, actor: Actor, *, exclude: tuple[int, ...] = (),
                      now: datetime | None = None) -> ClaimView | None:
    require_role(actor, *SENIOR_ROLES)
    moment = now or utcnow()
    query = select(Submission).where(*_waiting(actor, moment))
    if exclude:
        query = query.where(Submission.id.not_in(list(exclude)))
    submission = session.scalars(
        query.order_by(case((Submission.claimed_by_id == actor.id, 0), else_=1), Submission.decided_at, Submission.id)
        .limit(1).with_for_update(skip_locked=True, of=Submission)
    ).first()
    if submission is None:
        return None
    if submission.claimed_by_id != actor.id:
        submission.claimed_at = moment
    submission.claimed_by_id = actor.id
    submission.claim_expires_at = moment + timedelta(seconds=get_policy(session).claim_expiry_seconds)
    session.flush()
    return claim_view(submission)


@internal
def first_decision(session: Session, submission_id: int) -> ReviewDecision | None:
    return session.scalars(
        select(ReviewDecision).where(
            ReviewDecision.submission_id == submission_id,
            ReviewDecision.is_second_review.is_(False),
            ReviewDecision.undone_at.is_(None),
        ).order_by(ReviewDecision.decided_at.desc()).limit(1)
    ).first()


@dataclass(frozen=True)
class SecondOpinion:
    """The senior's decision, whether it agrees with the first, and, when the policy lets the
    second review stand, the settlement it made at once."""

    decision: DecisionView
    agrees: bool
    settlement: SettlementView | None


@allowed(*SENIOR_ROLES)
def decide_second(
    session: Session,
    actor: Actor,
    submission_id: int,
    decision: Decision,
    *,
    reason_code: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> SecondOpinion:
    """The senior's own decision. An agreement changes nothing. A disagreement waits for another
    senior's adjudication, or, where ``Policy.disagreement_settlement`` says the second review
    stands, is settled at once: the photo moves to the senior's decision in this transaction."""
    require_role(actor, *SENIOR_ROLES)
    moment = now or utcnow()
    note = clean_text(note, NOTE)
    check_decision(decision, reason_code, note)
    submission = lock_submission(session, submission_id)
    first = first_decision(session, submission.id)
    if not submission.needs_second_review or submission.state not in FIRST_DECIDED or first is None:
        raise Conflict("该照片已复核或初审决定已撤销，未保存您的复核。",
                       "This photo was already second-reviewed or its first decision was undone; nothing saved.")
    if first.reviewer_id == actor.id:
        raise Conflict("不能复核自己的初审决定。", "You cannot second-review your own decision.")
    if (submission.claimed_by_id not in (None, actor.id) and submission.claim_expires_at
            and submission.claim_expires_at > moment):
        raise Conflict("该照片正由其他复核员复核。", "Another senior reviewer holds this photo.")
    seconds = (moment - submission.claimed_at).total_seconds() if (
        submission.claimed_by_id == actor.id and submission.claimed_at) else None
    row = ReviewDecision(
        submission_id=submission.id, reviewer_id=actor.id, decision=decision,
        reason_code=reason_code if decision is Decision.REJECT else None, note=note,
        is_second_review=True, seconds_spent=seconds, decided_at=moment, local_day=local_day(moment),
    )
    session.add(row)
    submission.needs_second_review = False
    submission.clear_claim()
    session.flush()
    audit.record(session, actor, "review.second_opinion", "submission", submission.id,
                 school_id=submission.roster_record.school_id, roster_record_id=submission.roster_record_id,
                 decision=decision, reason=reason_code, note=note, agrees=decision is first.decision,
                 first_decision_id=first.id)
    settled = None
    if decision is not first.decision and get_policy(session).disagreement_settlement is SettlementMode.SECOND_STANDS:
        settled = settlement_view(
            apply_settlement(session, actor, submission, first, row, decision, row.reason_code, note,
                             SettlementMode.SECOND_STANDS, moment),
            first.decision, actor.name)
    return SecondOpinion(decision_view(row, submission.state), decision is first.decision, settled)


@dataclass(frozen=True)
class Disagreement:
    submission_id: int
    student_name: str
    school_name: str
    second_review_reason: SecondReviewReason | None
    first_reviewer: str
    first_reviewer_id: int
    first_decision: Decision
    first_reason_code: str | None
    first_note: str
    second_reviewer: str
    second_reviewer_id: int
    second_decision: Decision
    second_reason_code: str | None
    second_note: str
    second_decided_at: datetime
    state: SubmissionState
    """The photo's state now."""
    settled_decision: Decision | None = None
    """None while the disagreement waits for adjudication."""
    settled_reason_code: str | None = None
    settled_note: str = ""
    settled_by: str | None = None
    settled_at: datetime | None = None
    settlement_mode: SettlementMode | None = None
    outcome: SettlementOutcome | None = None

    @property
    def pending(self) -> bool:
        return self.settled_decision is None


@allowed(*SENIOR_ROLES)
def disagreements(session: Session, actor: Actor, *, pending: bool | None = None,
                  limit: int = 200) -> list[Disagreement]:
    """Second reviews that reached the other decision than the first, newest first, with how each
    was settled; ``pending`` keeps only the unsettled (True) or the settled (False)."""
    require_role(actor, *SENIOR_ROLES)
    first, second = aliased(ReviewDecision), aliased(ReviewDecision)
    first_staff, second_staff, settler = aliased(StaffUser), aliased(StaffUser), aliased(StaffUser)
    query = (
        select(first, second, first_staff.display_name, second_staff.display_name, RosterRecord.name,
               School.name, Submission.second_review_reason, Submission.state, ReviewSettlement,
               settler.display_name)
        .join(second, second.submission_id == first.submission_id)
        .join(first_staff, first.reviewer_id == first_staff.id)
        .join(second_staff, second.reviewer_id == second_staff.id)
        .join(Submission, Submission.id == first.submission_id)
        .join(RosterRecord, RosterRecord.id == Submission.roster_record_id)
        .join(CollectionTask, CollectionTask.id == Submission.task_id)
        .join(School, School.id == CollectionTask.school_id)
        .outerjoin(ReviewSettlement, ReviewSettlement.second_decision_id == second.id)
        .outerjoin(settler, settler.id == ReviewSettlement.settled_by_id)
        .where(first.is_second_review.is_(False), first.undone_at.is_(None),
               second.is_second_review.is_(True), second.undone_at.is_(None),
               first.decision != second.decision)
        .order_by(second.decided_at.desc(), second.id.desc()).limit(limit)
    )
    if pending is not None:
        query = query.where(ReviewSettlement.id.is_(None) if pending else ReviewSettlement.id.is_not(None))
    return [
        Disagreement(
            submission_id=f.submission_id, student_name=student, school_name=school, second_review_reason=why,
            first_reviewer=fname, first_reviewer_id=f.reviewer_id, first_decision=f.decision, first_reason_code=f.reason_code, first_note=f.note,
            second_reviewer=sname, second_reviewer_id=s.reviewer_id, second_decision=s.decision, second_reason_code=s.reason_code,
            second_note=s.note, second_decided_at=s.decided_at, state=state,
            settled_decision=done.decision if done else None, settled_reason_code=done.reason_code if done else None,
            settled_note=done.note if done else "",
            settled_by=by, settled_at=done.settled_at if done else None,
            settlement_mode=done.mode if done else None, outcome=done.outcome if done else None,
        )
        for f, s, fname, sname, student, school, why, state, done, by in session.execute(query)
    ]
