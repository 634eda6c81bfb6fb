"""Everything the review screen shows about one photo, read in a few queries: the photos (by
sha), the face score, the quality checks, the student's history and quota.

Blind mode (second review) leaves out every decision already taken on this photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.db import get_or_raise
from core.domain import quotas as quota_rules
from core.domain.access import REVIEW_ROLES, Actor, allowed, require_role
from core.domain.enums import Decision, EducationCategory, QuotaEntryType, QuotaKind, SecondReviewReason, SubmissionState
from core.domain.identity import mask_id
from core.domain.review_bands import Band, band_of
from core.domain.text import SEARCH_MAX, Field, clean_text
from core.errors import NotFound
from core.imaging.types import Check, QualityReport
from core.models import QuotaEntry, ReviewDecision, RosterRecord, School, StaffUser, Submission, utcnow
from core.services import quotas
from core.services.policy import get_policy


@dataclass(frozen=True)
class DecisionSummary:
    decision: Decision
    reason_code: str | None
    note: str
    reviewer_name: str
    decided_at: datetime
    undone: bool
    is_second_review: bool


@dataclass(frozen=True)
class EarlierSubmission:
    submission_id: int
    submitted_at: datetime | None
    state: SubmissionState
    thumbnail_sha: str | None
    decisions: tuple[DecisionSummary, ...]


@dataclass(frozen=True)
class GrantSummary:
    kind: QuotaKind
    amount: int
    reason: str
    actor_name: str
    created_at: datetime


@dataclass(frozen=True)
class QuotaSummary:
    standardisations_left_today: int
    submissions_used: int
    submissions_left: int
    replacements_used: int
    replacements_left: int


@dataclass(frozen=True)
class ReviewItem:
    submission_id: int
    state: SubmissionState
    standardised_sha: str | None
    raw_sha: str
    thumbnail_sha: str | None
    enrolment_sha: str | None
    enrolment_error: str | None
    student_name: str
    student_number: str
    id_masked: str
    school_name: str
    task_title: str
    category: EducationCategory
    cohort: str
    attempt_number: int
    submitted_at: datetime | None
    claim_expires_at: datetime | None
    held_by_me: bool
    face_similarity: float | None
    face_distance: float | None
    band: Band
    checks: tuple[Check, ...]
    history: tuple[EarlierSubmission, ...]
    grants: tuple[GrantSummary, ...]
    quota: QuotaSummary
    second_review_reason: SecondReviewReason | None

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def claim_lapsed(self, now: datetime | None = None) -> bool:
        return self.held_by_me and self.claim_expires_at is not None and self.claim_expires_at < (now or utcnow())


@allowed(*REVIEW_ROLES)
def review_item(session: Session, actor: Actor, submission_id: int, *, blind: bool = False) -> ReviewItem:
    require_role(actor, *REVIEW_ROLES)
    submission = get_or_raise(session, Submission, submission_id, "照片不存在。", "No such submission.")
    record = submission.roster_record
    task = submission.task
    return ReviewItem(
        submission_id=submission.id,
        state=submission.state,
        standardised_sha=submission.standardised_sha,
        raw_sha=submission.raw_sha,
        thumbnail_sha=submission.thumbnail_sha,
        enrolment_sha=record.enrolment_photo_sha,
        enrolment_error=record.enrolment_error,
        student_name=record.name,
        student_number=record.student_number,
        id_masked=mask_id(record.id_number),
        school_name=task.school.name,
        task_title=task.title,
        category=task.category,
        cohort=record.cohort,
        attempt_number=submission.attempt_number,
        submitted_at=submission.submitted_at,
        claim_expires_at=submission.claim_expires_at,
        held_by_me=submission.claimed_by_id == actor.id,
        face_similarity=submission.face_similarity,
        face_distance=submission.face_distance,
        band=band_of(submission.face_verdict),
        checks=tuple(QualityReport.from_list(submission.quality_report or []).checks),
        history=student_history(session, actor, record.id, exclude=submission.id if blind else None),
        grants=grants(session, actor, record.id),
        quota=quota_summary(session, actor, record.id),
        second_review_reason=None if blind else submission.second_review_reason,
    )


@allowed(*REVIEW_ROLES)
def quota_summary(session: Session, actor: Actor, roster_record_id: int) -> QuotaSummary:
    usage = quotas.usage(session, roster_record_id)
    policy = get_policy(session)
    return QuotaSummary(
        standardisations_left_today=quota_rules.standardisations_left(usage, policy),
        submissions_used=usage.submissions_used,
        submissions_left=quota_rules.submissions_left(usage, policy),
        replacements_used=usage.replacements_used,
        replacements_left=quota_rules.replacements_left(usage, policy),
    )


SEARCH = Field("学号、姓名或证件号后4位", "Student number, name or last 4 of the ID", SEARCH_MAX)


@dataclass(frozen=True)
class StudentHit:
    roster_record_id: int
    name: str
    student_number: str
    id_masked: str
    school_name: str
    latest_submission_id: int | None
    """The student's newest photo sent for review: overrides from the student's page attach to it."""


@allowed(*REVIEW_ROLES)
def find_students(session: Session, actor: Actor, text: str, *, limit: int = 20) -> list[StudentHit]:
    """A reviewer looks a student up by student number, name, or the last 4 of the ID number."""
    require_role(actor, *REVIEW_ROLES)
    text = clean_text(text, SEARCH)
    if not text:
        return []
    match = or_(RosterRecord.student_number == text, RosterRecord.name == text, RosterRecord.id_last4 == text.upper())
    latest = (select(func.max(Submission.id)).where(Submission.roster_record_id == RosterRecord.id,
                                                    Submission.attempt_number > 0).scalar_subquery())
    rows = session.execute(
        select(RosterRecord, School.name, latest).join(School, School.id == RosterRecord.school_id)
        .where(match).order_by(RosterRecord.name, RosterRecord.id).limit(limit)
    )
    return [StudentHit(r.id, r.name, r.student_number, mask_id(r.id_number), school, sub) for r, school, sub in rows]


@allowed(*REVIEW_ROLES)
def student_hit(session: Session, actor: Actor, roster_record_id: int) -> StudentHit:
    """One student by id: what a link to a student's page (``?student=``) opens."""
    return _hit(session, roster_record_id)


@allowed(*REVIEW_ROLES)
def student_of_submission(session: Session, actor: Actor, submission_id: int) -> StudentHit:
    """The student who sent a photo: what a link to a submission (``?submission=``) opens."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("照片不存在。", "No such photo.")
    return _hit(session, submission.roster_record_id)


def _hit(session: Session, roster_record_id: int) -> StudentHit:
    latest = (select(func.max(Submission.id)).where(Submission.roster_record_id == RosterRecord.id,
                                                    Submission.attempt_number > 0).scalar_subquery())
    row = session.execute(select(RosterRecord, School.name, latest).join(School, School.id == RosterRecord.school_id)
                          .where(RosterRecord.id == roster_record_id)).first()
    if row is None:
        raise NotFound("学生不存在。", "No such student.")
    r, school, sub = row
    return StudentHit(r.id, r.name, r.student_number, mask_id(r.id_number), school, sub)


@allowed(*REVIEW_ROLES)
def student_history(session: Session, actor: Actor, roster_record_id: int, *, exclude: int | None = None) -> tuple[EarlierSubmission, ...]:
    """Every photo the student sent for review, newest first, with the decisions taken on each."""
    subs = list(session.scalars(
        select(Submission).where(Submission.roster_record_id == roster_record_id, Submission.attempt_number > 0)
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
    ))
    subs = [s for s in subs if s.id != exclude]
    decisions: dict[int, list[DecisionSummary]] = {s.id: [] for s in subs}
    if subs:
        for row, name in session.execute(
            select(ReviewDecision, StaffUser.display_name)
            .join(StaffUser, ReviewDecision.reviewer_id == StaffUser.id)
            .where(ReviewDecision.submission_id.in_(list(decisions)))
            .order_by(ReviewDecision.decided_at, ReviewDecision.id)
        ):
            decisions[row.submission_id].append(DecisionSummary(
                decision=row.decision, reason_code=row.reason_code, note=row.note, reviewer_name=name,
                decided_at=row.decided_at, undone=row.undone_at is not None, is_second_review=row.is_second_review,
            ))
    return tuple(
        EarlierSubmission(s.id, s.submitted_at, s.state, s.thumbnail_sha, tuple(decisions[s.id])) for s in subs
    )


@allowed(*REVIEW_ROLES)
def grants(session: Session, actor: Actor, roster_record_id: int) -> tuple[GrantSummary, ...]:
    rows = session.scalars(
        select(QuotaEntry).where(QuotaEntry.roster_record_id == roster_record_id, QuotaEntry.entry_type == QuotaEntryType.GRANT)
        .order_by(QuotaEntry.created_at.desc())
    )
    return tuple(GrantSummary(r.kind, r.amount, r.reason, r.actor_name, r.created_at) for r in rows)
