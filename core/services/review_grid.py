"""Grid mode: a page of clear cases — photos whose quality checks all passed and whose face band is
同一人 — claimed together, so a reviewer rejects the exceptions and approves the rest with one key.

Nothing here decides differently from the single screen: every photo on the page is claimed like
``review.claim_next`` claims one (same expiry, ``SKIP LOCKED``), and every decision goes through
``review.decide`` one by one (its own decision row, audit event, notification and second-review
sampling), each in a savepoint so a photo someone else took meanwhile fails alone. Undo is
``review.undo`` per decision: the photos come back to the page, held by the same reviewer.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.domain.access import REVIEW_ROLES, Actor, allowed, require_role
from core.domain.enums import Decision, SubmissionState, Verdict
from core.domain.reasons import BY_CODE
from core.errors import DomainError, InvalidInput
from core.models import CollectionTask, RosterRecord, School, Submission, utcnow
from core.services import review
from core.services.policy import get_policy
from core.services.review import QueueFilter

GRID_MIN, GRID_MAX, GRID_DEFAULT = 12, 24, 24
"""How many thumbnails one page holds: enough that one key saves real time, few enough to look at each."""


@dataclass(frozen=True)
class GridTile:
    submission_id: int
    thumbnail_sha: str | None
    standardised_sha: str | None
    enrolment_sha: str | None
    student_name: str
    student_number: str
    school_name: str
    face_similarity: float | None


@dataclass(frozen=True)
class GridPage:
    tiles: tuple[GridTile, ...]
    clear_waiting: int
    """Clear cases still waiting (not held by anyone) after this page was claimed."""


@dataclass(frozen=True)
class GridRefusal:
    submission_id: int
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class GridOutcome:
    approved: tuple[int, ...]
    rejected: tuple[int, ...]
    decision_ids: tuple[int, ...]
    """One decision row per photo decided, in page order: what ``undo_grid`` takes back."""
    refused: tuple[GridRefusal, ...]
    """Photos not decided (someone else took them, or the student replaced them); the rest stand."""


def _clear(query: Select[Any], filters: QueueFilter) -> Select[Any]:
    """Clear cases only: every check passed and the face band is 同一人, within the reviewer's filters."""
    return review._filtered(query, filters).where(
        Submission.state == SubmissionState.AWAITING_REVIEW,
        Submission.quality_flags == "",
        Submission.standardised_sha.is_not(None),
        Submission.face_verdict == Verdict.SAME,
    )


def _tiles(session: Session, ids: list[int]) -> tuple[GridTile, ...]:
    if not ids:
        return ()
    rows = session.execute(
        select(Submission, RosterRecord.name, RosterRecord.student_number, RosterRecord.enrolment_photo_sha, School.name)
        .join(RosterRecord, Submission.roster_record_id == RosterRecord.id)
        .join(CollectionTask, Submission.task_id == CollectionTask.id)
        .join(School, CollectionTask.school_id == School.id)
        .where(Submission.id.in_(ids))
    )
    by_id = {
        sub.id: GridTile(sub.id, sub.thumbnail_sha, sub.standardised_sha, enrolment, name, number, school,
                         sub.face_similarity)
        for sub, name, number, enrolment, school in rows
    }
    return tuple(by_id[i] for i in ids if i in by_id)


@allowed(*REVIEW_ROLES)
def claim_grid(session: Session, actor: Actor, filters: QueueFilter | None = None, *, size: int = GRID_DEFAULT,
               exclude: Collection[int] = (), now: datetime | None = None) -> GridPage:
    """A page of clear cases held by this reviewer, oldest first: the clear photos they already hold
    come back first (a reloaded tab, an undo), then new ones are claimed up to ``size``."""
    require_role(actor, *REVIEW_ROLES)
    if not GRID_MIN <= size <= GRID_MAX:
        raise InvalidInput(f"每页照片数应在 {GRID_MIN}–{GRID_MAX} 张之间。",
                           f"A page holds {GRID_MIN}–{GRID_MAX} photos.")
    filters = filters or QueueFilter()
    moment = now or utcnow()
    policy = get_policy(session)
    order = (Submission.submitted_at.desc(), Submission.id.desc()) if filters.newest_first else (
        Submission.submitted_at, Submission.id)
    mine = _clear(select(Submission), filters).where(
        Submission.claimed_by_id == actor.id, Submission.claim_expires_at >= moment)
    if exclude:
        mine = mine.where(Submission.id.not_in(list(exclude)))
    held = list(session.scalars(mine.order_by(*order).limit(size).with_for_update(of=Submission)))
    fresh: list[Submission] = []
    if len(held) < size:
        query = _clear(select(Submission), filters).where(*review._claimable(moment))
        skip = [*exclude, *(s.id for s in held)]
        if skip:
            query = query.where(Submission.id.not_in(skip))
        fresh = list(session.scalars(
            query.order_by(*order).limit(size - len(held)).with_for_update(skip_locked=True, of=Submission)
        ))
    page = sorted([*held, *fresh], key=lambda s: (s.submitted_at, s.id), reverse=filters.newest_first)
    for submission in page:
        review._hold(submission, actor, moment, policy)
    session.flush()
    waiting = session.scalar(_clear(select(func.count(Submission.id)), filters).where(*review._claimable(moment)))
    return GridPage(tiles=_tiles(session, [s.id for s in page]), clear_waiting=int(waiting or 0))


@allowed(*REVIEW_ROLES)
def decide_grid(session: Session, actor: Actor, submission_ids: list[int], rejections: dict[int, str], *,
                now: datetime | None = None) -> GridOutcome:
    """One key on the grid: the photos in ``rejections`` are rejected with their reason, every
    other photo of the page is approved — each through ``review.decide``, as if decided one by one."""
    require_role(actor, *REVIEW_ROLES)
    ids = list(dict.fromkeys(submission_ids))
    if not ids:
        raise InvalidInput("这一页没有照片。", "This page has no photos.")
    if len(ids) > GRID_MAX:
        raise InvalidInput(f"一次最多决定 {GRID_MAX} 张照片。", f"At most {GRID_MAX} photos at once.")
    strays = set(rejections) - set(ids)
    if strays:
        raise InvalidInput("驳回的照片不在这一页上。", "A rejected photo is not on this page.")
    for chosen in rejections.values():
        reason = BY_CODE.get(chosen)
        if reason is None or reason.needs_note:
            raise InvalidInput("宫格模式只能选用标准驳回原因。", "Grid mode takes the standard rejection reasons only.")
    moment = now or utcnow()
    policy = get_policy(session)
    approved: list[int] = []
    rejected: list[int] = []
    decisions: list[int] = []
    refused: list[GridRefusal] = []
    for submission_id in ids:
        code = rejections.get(submission_id)
        decision = Decision.REJECT if code else Decision.APPROVE
        savepoint = session.begin_nested()
        try:
            row = review.decide(session, actor, submission_id, decision, reason_code=code, now=moment, policy=policy)
        except DomainError as refusal:
            savepoint.rollback()
            refused.append(GridRefusal(submission_id, refusal.message("zh"), refusal.message("en")))
            continue
        savepoint.commit()
        decisions.append(row.decision_id)
        (rejected if code else approved).append(submission_id)
    return GridOutcome(tuple(approved), tuple(rejected), tuple(decisions), tuple(refused))


@allowed(*REVIEW_ROLES)
def undo_grid(session: Session, actor: Actor, decision_ids: list[int], *,
              now: datetime | None = None) -> tuple[int, ...]:
    """Takes back a page's decisions (the reviewer's own, not yet in a CHSI batch), each through
    ``review.undo``: all or nothing, so the page comes back whole or the reviewer is told why not."""
    require_role(actor, *REVIEW_ROLES)
    moment = now or utcnow()
    return tuple(review.undo(session, actor, decision_id, now=moment).submission_id for decision_id in decision_ids)


@allowed(*REVIEW_ROLES)
def release_grid(session: Session, actor: Actor, submission_ids: list[int]) -> None:
    """Hands a page's photos back to the queue (leaving grid mode)."""
    for submission_id in submission_ids:
        review.release(session, actor, submission_id)
