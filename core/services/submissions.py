"""A student's photo from capture to the review queue: standardise (daily quota), submit (free
submissions), replace before review (free replacement), and the automatic face-comparison block."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import get_or_raise
from core.domain import quotas as rules
from core.domain.access import Actor, require_own, students_only
from core.domain.enums import QuotaEntryType, QuotaKind, SubmissionState
from core.domain.states import Event, transition
from core.errors import Conflict, InvalidInput, NotFound, PaymentRequired
from core.imaging.types import Verdict
from core.models import AccountLink, Submission, utcnow
from core.services import audit, jobs, quotas
from core.services.linking import is_paid, open_task
from core.services.policy import get_policy
from core.storage.photos import PhotoStore

MAX_CAPTURE_BYTES = 20 * 1024 * 1024
PENDING_STATES = (SubmissionState.CAPTURED, SubmissionState.STANDARDISED)


def _own_link(session: Session, actor: Actor, link_id: int) -> AccountLink:
    link = session.get(AccountLink, link_id)
    if link is None or not link.active:
        raise NotFound("请先关联采集任务。", "Link your account to a collection task first.")
    require_own(actor, link.account_id, "只能操作本人的采集任务。", "You can only act on your own collection task.")
    return link


@students_only
def request_standardisation(
    session: Session, actor: Actor, link_id: int, raw: bytes, store: PhotoStore, *, now: datetime | None = None
) -> Submission:
    """The student chose a capture: it counts against today's standardisations and goes to the worker."""
    moment = now or utcnow()
    link = _own_link(session, actor, link_id)
    if not is_paid(session, link):
        raise PaymentRequired("请先支付采集服务费用。", "Pay the collection fee first.")
    if not raw:
        raise InvalidInput("没有收到照片，请重新拍摄。", "No photo was received; take it again.")
    if len(raw) > MAX_CAPTURE_BYTES:
        raise InvalidInput("照片文件过大（超过 20 MB），请重新拍摄。", "The photo is larger than 20 MB.")
    open_task(session, link.task_id, moment)
    policy = get_policy(session)
    usage = quotas.usage(session, link.roster_record_id, moment)
    if usage.has_approved_photo:
        rules.check_replacement(usage, policy)
    rules.check_standardisation(usage, policy)
    for earlier in session.scalars(
        select(Submission).where(
            Submission.roster_record_id == link.roster_record_id, Submission.state.in_(PENDING_STATES)
        )
    ):
        earlier.state = transition(earlier.state, Event.REPLACE)
    submission = Submission(
        roster_record_id=link.roster_record_id,
        task_id=link.task_id,
        account_id=link.account_id,
        raw_sha=store.put(raw),
        on_temporary_code=link.roster_record.on_temporary_code,
        captured_at=moment,
    )
    session.add(submission)
    session.flush()
    quotas.add_entry(session, link.roster_record_id, QuotaKind.STANDARDISATION, QuotaEntryType.USE, actor=actor,
                     submission_id=submission.id, now=moment)
    audit.record(session, actor, "submission.standardise_requested", "submission", submission.id,
                 school_id=link.roster_record.school_id, roster_record_id=link.roster_record_id)
    jobs.enqueue_after_commit(session, jobs.PROCESS_SUBMISSION, submission.id)
    return submission


@students_only
def discard_capture(session: Session, actor: Actor, submission_id: int) -> Submission:
    """重拍: the student drops a capture before submitting it (the standardisation stays used)."""
    submission = get_or_raise(session, Submission, submission_id, "照片不存在。", "No such photo.")
    require_own(actor, submission.account_id, "只能操作本人的照片。", "You can only act on your own photo.")
    if submission.state not in PENDING_STATES:
        raise Conflict("照片已提交，不能在此重拍；如需更换请重新拍摄后提交。",
                       "The photo was already submitted; take a new one and submit it instead.")
    submission.state = transition(submission.state, Event.REPLACE)
    audit.record(session, actor, "submission.discard", "submission", submission.id,
                 school_id=submission.roster_record.school_id, roster_record_id=submission.roster_record_id)
    session.flush()
    return submission


@students_only
def submit(session: Session, actor: Actor, submission_id: int, *, now: datetime | None = None) -> Submission:
    """Second confirmation. Below the face threshold the photo is blocked at once (no quota used);
    otherwise it uses a free (or paid) submission and, if a photo already waits for review, the
    replacement allowance."""
    moment = now or utcnow()
    submission = get_or_raise(session, Submission, submission_id, "照片不存在。", "No such photo.")
    require_own(actor, submission.account_id, "只能提交本人的照片。", "You can only submit your own photo.")
    if submission.state is SubmissionState.STANDARDISED and submission.standardised_sha is None:
        raise InvalidInput("照片尚未完成标准化。", "The photo has not been standardised yet.")
    submission.state = transition(submission.state, Event.SUBMIT)
    submission.submitted_at = moment
    record = submission.roster_record
    if submission.face_verdict == Verdict.DIFFERENT:
        submission.state = transition(submission.state, Event.AUTO_BLOCK)
        audit.record(session, actor, "submission.auto_blocked", "submission", submission.id,
                     school_id=record.school_id, roster_record_id=record.id,
                     similarity=submission.face_similarity)
        session.flush()
        return submission

    policy = get_policy(session)
    usage = quotas.usage(session, record.id, moment)
    waiting = session.scalar(
        select(Submission).where(
            Submission.roster_record_id == record.id,
            Submission.state == SubmissionState.AWAITING_REVIEW,
            Submission.id != submission.id,
        )
    )
    if waiting is not None:
        rules.check_replacement(usage, policy)
        waiting.state = transition(waiting.state, Event.REPLACE)
        quotas.add_entry(session, record.id, QuotaKind.REPLACEMENT, QuotaEntryType.USE, actor=actor,
                         submission_id=submission.id, now=moment)
    else:
        if usage.has_approved_photo:
            rules.check_replacement(usage, policy)
        rules.check_submission(usage, policy)
        quotas.add_entry(session, record.id, QuotaKind.SUBMISSION, QuotaEntryType.USE, actor=actor,
                         submission_id=submission.id, now=moment)
    submission.attempt_number = 1 + (session.scalar(
        select(func.count(Submission.id)).where(
            Submission.roster_record_id == record.id,
            Submission.id != submission.id,
            Submission.attempt_number > 0,
        )
    ) or 0)
    submission.state = transition(submission.state, Event.QUEUE_FOR_REVIEW)
    audit.record(session, actor, "submission.submit", "submission", submission.id,
                 school_id=record.school_id, roster_record_id=record.id, attempt=submission.attempt_number)
    session.flush()
    return submission
