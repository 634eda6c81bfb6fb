"""The review queue and its decisions: claim the next photo, approve, reject with a reason, undo,
skip, and quota overrides granted from the review screen.

Two reviewers never hold the same photo: a claim is written on the submission row with an expiry.
On PostgreSQL the next photo is picked with ``FOR UPDATE SKIP LOCKED`` (a reviewer never waits for
another's pick); on SQLite every transaction already begins IMMEDIATE, so claims queue for the
write lock. A claim left by a closed tab lapses at ``claim_expires_at`` and the photo returns to
the queue. Two reviewers deciding the same photo never both win: the row is locked and re-checked,
and the version column rejects any stale write.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from core.db import get_or_raise
from core.domain.access import OVERRIDE_ROLES, REVIEW_ROLES, Actor, allowed, internal, pure, require_role
from core.domain.enums import Decision, EducationCategory, QuotaKind, SecondReviewReason, SubmissionState
from core.domain.policy import Policy
from core.domain.quotas import local_day
from core.domain.reasons import BY_CODE, check_decision
from core.domain.states import STATE_LABELS_ZH, Event, transition
from core.domain.text import NOTE_MAX, clean_text, escape_like
from core.errors import Conflict, NotFound
from core.imaging.types import Verdict
from core.models import (
    CollectionTask,
    QuotaEntry,
    ReviewDecision,
    ReviewSettlement,
    RosterRecord,
    School,
    Submission,
    field,
    utcnow,
)
from core.services._views import view_of
from core.services import audit, quotas
from core.services.notifications import notify
from core.services.policy import get_policy

NOTE = field(ReviewDecision.note, "审核说明", "Reviewer's note", max_length=NOTE_MAX)
"""The note the student reads with a rejection (and the team with a second opinion)."""

NO_SCORE = "none"
"""Score-band filter value for photos with no face comparison (no usable enrolment photo)."""


@dataclass(frozen=True)
class QueueFilter:
    """What a reviewer chose to work on. Empty fields do not filter."""

    school_id: int | None = None
    task_id: int | None = None
    category: EducationCategory | None = None
    band: str | None = None
    """A ``Verdict`` value, or ``NO_SCORE``."""
    quality: str | None = None
    """``"failed"``: any check failed; ``"passed"``: all passed; otherwise one failed check's code."""
    min_resubmissions: int | None = None
    """At least this many earlier submissions by the same student (0 = first attempt included)."""
    newest_first: bool = False


@dataclass(frozen=True)
class ClaimView:
    """A photo the reviewer now holds (its details come from ``review_view.review_item``)."""

    submission_id: int
    claimed_at: datetime | None
    claim_expires_at: datetime | None
    second_review_reason: SecondReviewReason | None


@dataclass(frozen=True)
class DecisionView:
    """A saved decision and the state it left the photo in."""

    decision_id: int
    submission_id: int
    decision: Decision
    reason_code: str | None
    note: str
    is_second_review: bool
    decided_at: datetime
    seconds_spent: float | None
    state: SubmissionState


@internal
def claim_view(submission: Submission) -> ClaimView:
    return ClaimView(submission.id, submission.claimed_at, submission.claim_expires_at,
                     submission.second_review_reason)


@internal
def decision_view(row: ReviewDecision, state: SubmissionState) -> DecisionView:
    return DecisionView(row.id, row.submission_id, row.decision, row.reason_code, row.note, row.is_second_review,
                        row.decided_at, row.seconds_spent, state)


_Query = TypeVar("_Query", bound=Select[Any])


def _filtered(query: _Query, filters: QueueFilter) -> _Query:
    if filters.task_id is not None:
        query = query.where(Submission.task_id == filters.task_id)
    if filters.school_id is not None or filters.category is not None:
        tasks = select(CollectionTask.id)
        if filters.school_id is not None:
            tasks = tasks.where(CollectionTask.school_id == filters.school_id)
        if filters.category is not None:
            tasks = tasks.where(CollectionTask.category == filters.category)
        query = query.where(Submission.task_id.in_(tasks))
    if filters.band == NO_SCORE:
        query = query.where(Submission.face_verdict.is_(None))
    elif filters.band:
        query = query.where(Submission.face_verdict == Verdict(filters.band))
    if filters.quality == "failed":
        query = query.where(Submission.quality_flags != "")
    elif filters.quality == "passed":
        query = query.where(Submission.quality_flags == "")
    elif filters.quality:
        flags = "," + Submission.quality_flags + ","
        query = query.where(flags.contains(escape_like(f",{filters.quality},"), escape="\\"))
    if filters.min_resubmissions:
        query = query.where(Submission.attempt_number >= filters.min_resubmissions + 1)
    return query


def _claimable(moment: datetime) -> list[ColumnElement[bool]]:
    return [
        Submission.state == SubmissionState.AWAITING_REVIEW,
        or_(Submission.claimed_by_id.is_(None), Submission.claim_expires_at < moment),
    ]


def _hold(submission: Submission, actor: Actor, moment: datetime, policy: Policy) -> Submission:
    if submission.claimed_by_id != actor.id or submission.claimed_at is None:
        submission.claimed_at = moment
    submission.claimed_by_id = actor.id
    submission.claim_expires_at = moment + timedelta(seconds=policy.claim_expiry_seconds)
    return submission


@allowed(*REVIEW_ROLES)
def current_claim(session: Session, actor: Actor, now: datetime | None = None) -> ClaimView | None:
    """The photo this reviewer holds, if the claim has not lapsed (a reloaded tab resumes it)."""
    require_role(actor, *REVIEW_ROLES)
    held = _held(session, actor, now or utcnow())
    return claim_view(held) if held else None


def _held(session: Session, actor: Actor, moment: datetime) -> Submission | None:
    return session.scalars(
        select(Submission).where(
            Submission.claimed_by_id == actor.id,
            Submission.state == SubmissionState.AWAITING_REVIEW,
            Submission.claim_expires_at >= moment,
        ).order_by(Submission.claimed_at).limit(1)
    ).first()


@allowed(*REVIEW_ROLES)
def claim_next(
    session: Session,
    actor: Actor,
    filters: QueueFilter = QueueFilter(),
    *,
    exclude: Collection[int] = (),
    now: datetime | None = None,
    resume: bool = True,
    policy: Policy | None = None,
) -> ClaimView | None:
    """The reviewer's next photo, oldest first, held for ``Policy.claim_expiry_seconds``; None when
    nothing matching waits. With ``resume``, a photo the reviewer already holds comes back first
    (a reloaded tab continues where it was)."""
    require_role(actor, *REVIEW_ROLES)
    submission = _claim_next(session, actor, filters, exclude=exclude, moment=now or utcnow(), resume=resume,
                             policy=policy or get_policy(session))
    return claim_view(submission) if submission else None


def _claim_next(session: Session, actor: Actor, filters: QueueFilter, *, exclude: Collection[int],
                moment: datetime, resume: bool, policy: Policy) -> Submission | None:
    held = _held(session, actor, moment) if resume else None
    if held is not None and held.id not in exclude:
        return _hold(held, actor, moment, policy)
    order = (Submission.submitted_at.desc(), Submission.id.desc()) if filters.newest_first else (
        Submission.submitted_at, Submission.id)
    query = _filtered(select(Submission).where(*_claimable(moment)), filters)
    if exclude:
        query = query.where(Submission.id.not_in(list(exclude)))
    submission = session.scalars(
        query.order_by(*order).limit(1).with_for_update(skip_locked=True, of=Submission)
    ).first()
    if submission is None:
        return None
    _hold(submission, actor, moment, policy)
    session.flush()
    return submission


@allowed(*REVIEW_ROLES)
def claim(session: Session, actor: Actor, submission_id: int, *, now: datetime | None = None) -> ClaimView:
    """Takes one given photo (after an undo, or from the queue list) if no one else holds it."""
    require_role(actor, *REVIEW_ROLES)
    moment = now or utcnow()
    submission = lock_submission(session, submission_id)
    _check_decidable(submission, actor, moment)
    _hold(submission, actor, moment, get_policy(session))
    session.flush()
    return claim_view(submission)


@allowed(*REVIEW_ROLES)
def release(session: Session, actor: Actor, submission_id: int, *, skipped: bool = False) -> None:
    """Hands a held photo back to the queue at once (skip, or leaving the page)."""
    require_role(actor, *REVIEW_ROLES)
    submission = lock_submission(session, submission_id)
    if submission.claimed_by_id != actor.id:
        return
    submission.clear_claim()
    if skipped:
        audit.record(session, actor, "review.skip", "submission", submission.id,
                     school_id=submission.roster_record.school_id, roster_record_id=submission.roster_record_id)
    session.flush()


@allowed(*REVIEW_ROLES)
def skip(session: Session, actor: Actor, submission_id: int, filters: QueueFilter = QueueFilter(), *,
         exclude: Collection[int] = (), now: datetime | None = None) -> ClaimView | None:
    """Puts the photo back for someone else and claims the next one, never the skipped one."""
    release(session, actor, submission_id, skipped=True)
    return claim_next(session, actor, filters, exclude={*exclude, submission_id}, now=now)


@internal
def lock_submission(session: Session, submission_id: int) -> Submission:
    submission = session.scalars(
        select(Submission).where(Submission.id == submission_id).with_for_update()
    ).first()
    if submission is None:
        raise NotFound("照片不存在。", "No such submission.")
    return submission


def _check_decidable(submission: Submission, actor: Actor, moment: datetime) -> None:
    if submission.state is not SubmissionState.AWAITING_REVIEW:
        raise Conflict(
            f"该照片已被处理（当前状态：{STATE_LABELS_ZH[submission.state]}），未保存您的决定。",
            "Someone else already decided this photo (or the student replaced it); your decision was not saved.",
            state=submission.state.value,
        )
    if (submission.claimed_by_id not in (None, actor.id) and submission.claim_expires_at
            and submission.claim_expires_at > moment):
        raise Conflict(
            "该照片正由其他审核员审核（您的领取可能已超时），未保存您的决定。",
            "Another reviewer holds this photo (your claim may have expired); your decision was not saved.",
        )


@pure
def second_review_reason(
    submission: Submission, decision: Decision, policy: Policy, rng: random.Random
) -> SecondReviewReason | None:
    """Which approvals a senior reviewer sees again: every approval whose face verdict is not
    同一人 (including photos never compared), and a random share of the rest."""
    if decision is not Decision.APPROVE:
        return None
    if submission.face_verdict != Verdict.SAME:
        return SecondReviewReason.FACE_NOT_SAME
    if rng.random() < policy.second_review_rate:
        return SecondReviewReason.SAMPLED
    return None


@allowed(*REVIEW_ROLES)
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
    rng: random.Random | None = None,
    policy: Policy | None = None,
) -> DecisionView:
    """Approve, or reject with a reason the student will read. ``seconds_spent`` defaults to the
    time since the reviewer claimed the photo."""
    require_role(actor, *REVIEW_ROLES)
    moment = now or utcnow()
    note = clean_text(note, NOTE)
    check_decision(decision, reason_code, note)
    submission = lock_submission(session, submission_id)
    _check_decidable(submission, actor, moment)
    if seconds_spent is None and submission.claimed_by_id == actor.id and submission.claimed_at:
        seconds_spent = (moment - submission.claimed_at).total_seconds()
    event = Event.APPROVE if decision is Decision.APPROVE else Event.REJECT
    submission.state = transition(submission.state, event)
    submission.decided_at = moment
    submission.clear_claim()
    flagged = second_review_reason(submission, decision, policy or get_policy(session), rng or random.SystemRandom())
    if flagged and submission.second_review_reason != SecondReviewReason.QUOTA_OVERRIDE:
        submission.needs_second_review = True
        submission.second_review_reason = flagged
    row = ReviewDecision(
        submission_id=submission.id,
        reviewer_id=actor.id,
        decision=decision,
        reason_code=reason_code if decision is Decision.REJECT else None,
        note=note,
        seconds_spent=seconds_spent,
        decided_at=moment,
        local_day=local_day(moment),
    )
    session.add(row)
    session.flush()
    record = submission.roster_record
    audit.record(session, actor, f"review.{decision.value}", "submission", submission.id,
                 school_id=record.school_id, roster_record_id=record.id, reason=reason_code, note=note,
                 second_review=submission.second_review_reason if submission.needs_second_review else None)
    if decision is Decision.APPROVE:
        notify(session, record.id, "review_result", "审核通过",
               "您的照片已通过人工审核，将在 7-10 个工作日内上传学信网。", submission_id=submission.id)
    else:
        reason = BY_CODE[reason_code or "other"]
        notify(session, record.id, "review_result", "审核未通过",
               f"驳回原因：{reason.student_text_zh}{(' 备注：' + note) if note else ''}",
               submission_id=submission.id, reason=reason.code)
    return decision_view(row, submission.state)


@allowed(*REVIEW_ROLES)
def decide_and_claim_next(
    session: Session,
    actor: Actor,
    submission_id: int,
    decision: Decision,
    filters: QueueFilter = QueueFilter(),
    *,
    reason_code: str | None = None,
    note: str = "",
    exclude: Collection[int] = (),
    now: datetime | None = None,
) -> tuple[DecisionView, ClaimView | None]:
    """One keypress of the review screen: the decision and the next photo, in one transaction."""
    policy = get_policy(session)
    row = decide(session, actor, submission_id, decision, reason_code=reason_code, note=note, now=now, policy=policy)
    return row, claim_next(session, actor, filters, exclude=exclude, now=now, resume=False, policy=policy)


@allowed(*REVIEW_ROLES)
def undo(session: Session, actor: Actor, decision_id: int, *, now: datetime | None = None) -> ClaimView:
    """The reviewer takes back their own decision while the photo is not yet in a CHSI batch; the
    photo returns to the queue held by that reviewer, so they decide it again at once."""
    require_role(actor, *REVIEW_ROLES)
    moment = now or utcnow()
    row = session.get(ReviewDecision, decision_id)
    if row is None or row.undone_at is not None or row.is_second_review:
        raise NotFound("没有可撤销的审核决定。", "No decision to undo.")
    if row.reviewer_id != actor.id:
        raise Conflict("只能撤销自己的审核决定。", "You can only undo your own decisions.")
    submission = lock_submission(session, row.submission_id)
    if session.scalar(select(ReviewSettlement.id).where(ReviewSettlement.submission_id == submission.id).limit(1)):
        raise Conflict("复核分歧已裁定，该决定不能再撤销。",
                       "A disagreement on this photo was settled; the decision can no longer be undone.")
    if submission.state not in (SubmissionState.APPROVED, SubmissionState.REJECTED):
        raise Conflict(
            f"照片当前状态为“{STATE_LABELS_ZH[submission.state]}”，已不能撤销。",
            "The photo has moved on (e.g. into a CHSI batch); the decision can no longer be undone.",
        )
    submission.state = transition(submission.state, Event.UNDO_DECISION)
    submission.decided_at = None
    if submission.needs_second_review and submission.second_review_reason != SecondReviewReason.QUOTA_OVERRIDE:
        submission.needs_second_review = False
        submission.second_review_reason = None
    _hold(submission, actor, moment, get_policy(session))
    row.undone_at = moment
    record = submission.roster_record
    audit.record(session, actor, "review.undo", "submission", submission.id, school_id=record.school_id,
                 roster_record_id=record.id, decision_id=row.id)
    session.flush()
    return claim_view(submission)


@allowed(*OVERRIDE_ROLES)
def grant_override(
    session: Session,
    actor: Actor,
    submission_id: int,
    kind: QuotaKind,
    reason: str,
    *,
    amount: int = 1,
    now: datetime | None = None,
) -> quotas.QuotaEntryView:
    """A quota override granted while looking at a photo. Every override also sends that photo to
    a senior reviewer (after its first decision, if it has none yet)."""
    submission = get_or_raise(session, Submission, submission_id, "照片不存在。", "No such submission.")
    entry = quotas.grant(session, actor, submission.roster_record_id, kind, reason, amount=amount, now=now)
    send_override_to_second_review(session, actor, entry, submission)
    return view_of(quotas.QuotaEntryView, entry)


REVIEWABLE = (SubmissionState.AWAITING_REVIEW, SubmissionState.APPROVED, SubmissionState.REJECTED)


@internal
def send_override_to_second_review(session: Session, actor: Actor, entry: QuotaEntry,
                                   submission: Submission | None = None) -> Submission | None:
    """Every quota override, wherever it was granted (review screen, student page, support desk),
    sends the student's photo under review or last decided to a senior reviewer. A student with no
    such photo yet has nothing to look at; the grant stands and is audited on its own."""
    if submission is None:
        submission = session.scalars(
            select(Submission)
            .where(Submission.roster_record_id == entry.roster_record_id, Submission.state.in_(REVIEWABLE))
            .order_by(Submission.id.desc())
            .limit(1)
        ).first()
    if submission is None:
        return None
    entry.submission_id = submission.id
    submission.needs_second_review = True
    submission.second_review_reason = SecondReviewReason.QUOTA_OVERRIDE
    audit.record(session, actor, "review.second_review_requested", "submission", submission.id,
                 school_id=submission.roster_record.school_id, roster_record_id=submission.roster_record_id,
                 reason=SecondReviewReason.QUOTA_OVERRIDE.value, quota_entry_id=entry.id)
    session.flush()
    return submission


@dataclass(frozen=True)
class QueueDepth:
    waiting: int
    """Awaiting review and not held by anyone."""
    held: int
    """Held by a reviewer right now."""


@allowed(*REVIEW_ROLES)
def queue_depth(session: Session, actor: Actor, filters: QueueFilter = QueueFilter(),
                now: datetime | None = None) -> QueueDepth:
    require_role(actor, *REVIEW_ROLES)
    moment = now or utcnow()
    held = and_(Submission.claimed_by_id.is_not(None), Submission.claim_expires_at >= moment)
    query = _filtered(
        select(func.count(Submission.id), func.count(Submission.id).filter(held)).where(
            Submission.state == SubmissionState.AWAITING_REVIEW),
        filters,
    )
    total, holding = session.execute(query).one()
    return QueueDepth(waiting=int(total or 0) - int(holding or 0), held=int(holding or 0))


@allowed(*REVIEW_ROLES)
def my_count_today(session: Session, actor: Actor, now: datetime | None = None) -> int:
    """Decisions (first and second reviews, not undone) this reviewer made today, China time."""
    require_role(actor, *REVIEW_ROLES)
    return int(session.scalar(
        select(func.count(ReviewDecision.id)).where(
            ReviewDecision.reviewer_id == actor.id,
            ReviewDecision.local_day == local_day(now or utcnow()),
            ReviewDecision.undone_at.is_(None),
        )
    ) or 0)


@dataclass(frozen=True)
class QueueRow:
    submission_id: int
    submitted_at: datetime | None
    school_name: str
    task_title: str
    category: EducationCategory
    student_name: str
    student_number: str
    attempt_number: int
    face_similarity: float | None
    face_verdict: Verdict | None
    quality_flags: tuple[str, ...]
    thumbnail_sha: str | None
    held_by_other: bool


@allowed(*REVIEW_ROLES)
def list_queue(session: Session, actor: Actor, filters: QueueFilter = QueueFilter(), *, limit: int = 50,
               offset: int = 0, now: datetime | None = None) -> list[QueueRow]:
    """The waiting photos in queue order, for the overview table beside the review screen."""
    require_role(actor, *REVIEW_ROLES)
    moment = now or utcnow()
    order = (Submission.submitted_at.desc(), Submission.id.desc()) if filters.newest_first else (
        Submission.submitted_at, Submission.id)
    query = _filtered(
        select(Submission, School.name, CollectionTask.title, CollectionTask.category,
               RosterRecord.name, RosterRecord.student_number)
        .join(CollectionTask, Submission.task_id == CollectionTask.id)
        .join(School, CollectionTask.school_id == School.id)
        .join(RosterRecord, Submission.roster_record_id == RosterRecord.id)
        .where(Submission.state == SubmissionState.AWAITING_REVIEW),
        filters,
    ).order_by(*order).limit(limit).offset(offset)
    rows = []
    for sub, school, title, category, name, number in session.execute(query):
        rows.append(QueueRow(
            submission_id=sub.id, submitted_at=sub.submitted_at, school_name=school, task_title=title,
            category=category, student_name=name, student_number=number, attempt_number=sub.attempt_number,
            face_similarity=sub.face_similarity, face_verdict=sub.face_verdict,
            quality_flags=tuple(c for c in sub.quality_flags.split(",") if c),
            thumbnail_sha=sub.thumbnail_sha,
            held_by_other=bool(sub.claimed_by_id not in (None, actor.id) and sub.claim_expires_at
                               and sub.claim_expires_at >= moment),
        ))
    return rows


@allowed(*REVIEW_ROLES)
def failed_check_counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many waiting photos fail each quality check, for the quality filter's choices."""
    require_role(actor, *REVIEW_ROLES)
    counts: dict[str, int] = {}
    for flags, n in session.execute(
        select(Submission.quality_flags, func.count(Submission.id))
        .where(Submission.state == SubmissionState.AWAITING_REVIEW, Submission.quality_flags != "")
        .group_by(Submission.quality_flags)
    ):
        for code in flags.split(","):
            counts[code] = counts.get(code, 0) + int(n)
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


@dataclass(frozen=True)
class TaskChoice:
    task_id: int
    school_id: int
    school_name: str
    title: str
    category: EducationCategory


@allowed(*REVIEW_ROLES)
def task_choices(session: Session, actor: Actor) -> list[TaskChoice]:
    """Schools and their tasks, for the queue's school and task filters."""
    require_role(actor, *REVIEW_ROLES)
    return [
        TaskChoice(task_id, school_id, school_name, title, category)
        for task_id, school_id, school_name, title, category in session.execute(
            select(CollectionTask.id, School.id, School.name, CollectionTask.title, CollectionTask.category)
            .join(School, CollectionTask.school_id == School.id)
            .order_by(School.name, CollectionTask.title)
        )
    ]
