"""What the student app reads: school search, the tasks on offer, and the status of one's photo.

Everything here is a read model in typed dataclasses; the changes (link, pay, standardise, submit)
stay in linking, payments and submissions, so the student app and the staff desks share one set of
rules.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import ColumnElement, SQLColumnExpression, exists, or_, select
from sqlalchemy.orm import Session

from core.domain.contacts import HOTLINE
from core.domain.access import own_data, public, pure
from core.domain import quotas as rules
from core.domain.enums import Decision, EducationCategory, JobStatus, MailingMode, PaymentPurpose, SubmissionState, TaskStatus
from core.domain.identity import mask_name, normalise_text
from core.domain.reasons import BY_CODE
from core.domain.states import STATE_LABELS_EN, STATE_LABELS_ZH
from core.domain.text import SEARCH_MAX, Field, clean_text
from core.errors import InvalidInput
from core.imaging.collection_code import DecodedCode, decode_collection_code
from core.imaging.errors import ImagingError
from core.imaging.loading import load_image
from core.imaging.types import Check, Verdict
from core.models import AccountLink, CollectionTask, ProcessingJob, ReviewDecision, ReviewSettlement, School, Submission, utcnow
from core.services import jobs, notifications, quotas
from core.services.linking import is_paid
from core.domain.policy import Policy
from core.services.policy import get_policy

CODE_IMAGE_LONG_SIDE = 2000
"""A collection-code image is decoded at most this large: a QR needs no more, and it stays fast."""


# ---- school and task ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolHit:
    id: int
    code: str
    name: str


def _is_subsequence(needle: str, haystack: str) -> bool:
    rest = iter(haystack)
    return all(ch in rest for ch in needle)


def _score(keyword: str, school: School) -> int:
    """0 = no match; higher = better. Chinese: substring, then characters in order (武大 → 武汉大学);
    Latin letters: pinyin initials (whdx), then full pinyin (wuhan); digits: the CHSI school code."""
    names = [n for n in (school.name, school.short_name) if n]
    if keyword.isascii():
        word = keyword.lower()
        if word == school.code:
            return 6
        if school.pinyin_initials.startswith(word) or school.pinyin.startswith(word):
            return 5
        if word in school.pinyin_initials:
            return 4
        if word in school.pinyin:
            return 3
        return 0
    if any(name.startswith(keyword) for name in names):
        return 5
    if any(keyword in name for name in names):
        return 4
    if any(_is_subsequence(keyword, name) for name in names):
        return 2
    return 0


def _open_task_filter(today: date) -> tuple[ColumnElement[bool], ...]:
    return (
        CollectionTask.status == TaskStatus.OPEN,
        CollectionTask.opens_on <= today,
        CollectionTask.closes_on >= today,
    )


SCHOOL_SEARCH = Field("学校名称", "School name", SEARCH_MAX)


@public
def search_schools(session: Session, keyword: str, *, today: date | None = None, limit: int = 20) -> list[SchoolHit]:
    """Fuzzy search among schools that have an open task today (only those are shown)."""
    word = normalise_text(clean_text(keyword, SCHOOL_SEARCH)).replace(" ", "")
    if not word:
        return []
    day = today or utcnow().date()
    schools = session.scalars(
        select(School).where(School.active.is_(True), School.id.in_(
            select(CollectionTask.school_id).where(*_open_task_filter(day))
        ))
    ).all()
    scored = [(score, school) for school in schools if (score := _score(word, school)) > 0]
    scored.sort(key=lambda pair: (-pair[0], pair[1].name))
    return [SchoolHit(s.id, s.code, s.name) for _, s in scored[:limit]]


@dataclass(frozen=True)
class TaskChoice:
    """A collection task as the student chooses it: window, price and what it asks of them."""

    id: int
    school_id: int
    school_name: str
    school_code: str
    category: EducationCategory
    cohort: str
    title: str
    opens_on: date
    closes_on: date
    price_fen: int
    mailing_mode: MailingMode
    default_address: str
    front_camera_allowed: bool
    album_allowed: bool = False
    """Whether a photo from the album is accepted (CHSI: live capture only, so normally not)."""

    @property
    def needs_address(self) -> bool:
        return self.mailing_mode is MailingMode.TO_STUDENT


def _task_choice(task: CollectionTask) -> TaskChoice:
    return TaskChoice(
        id=task.id, school_id=task.school_id, school_name=task.school.name, school_code=task.school.code, category=task.category,
        cohort=task.cohort, title=task.title, opens_on=task.opens_on, closes_on=task.closes_on,
        price_fen=task.price_fen, mailing_mode=task.mailing_mode, default_address=task.default_address,
        front_camera_allowed=task.front_camera_allowed, album_allowed=task.album_allowed,
    )


@public
def open_tasks(session: Session, school_id: int, *, today: date | None = None) -> list[TaskChoice]:
    day = today or utcnow().date()
    tasks = session.scalars(
        select(CollectionTask).where(CollectionTask.school_id == school_id, *_open_task_filter(day))
        .order_by(CollectionTask.category, CollectionTask.closes_on)
    ).all()
    return [_task_choice(t) for t in tasks]


@pure
def categories(tasks: list[TaskChoice]) -> list[EducationCategory]:
    return [c for c in EducationCategory if any(t.category is c for t in tasks)]


@public
def task_choice(session: Session, task_id: int) -> TaskChoice:
    task = session.get(CollectionTask, task_id)
    if task is None:
        raise InvalidInput("采集任务不存在。", "No such collection task.")
    return _task_choice(task)


# ---- identity check ----------------------------------------------------------------------------


@pure
def decode_code_image(data: bytes) -> DecodedCode:
    """The collection code in a photo or saved image of it (fast enough to run in the app)."""
    try:
        image = load_image(data, min_long_side=CODE_IMAGE_LONG_SIDE)
    except ImagingError as error:
        raise InvalidInput(
            f"{error.message_zh} 请上传从学信网下载保存的图像采集码图片。",
            f"{error.message_en} Upload the collection code image saved from CHSI.",
        ) from error
    return decode_collection_code(image.rgb)


# ---- the account's links -----------------------------------------------------------------------


@own_data
def active_link(session: Session, account_id: int) -> AccountLink | None:
    """The account's current task link (the newest, if several)."""
    return session.scalars(
        select(AccountLink).where(AccountLink.account_id == account_id, AccountLink.active.is_(True))
        .order_by(AccountLink.linked_at.desc(), AccountLink.id.desc())
    ).first()


@own_data
def pending_capture(session: Session, link: AccountLink) -> Submission | None:
    """The capture being standardised or waiting for the student's confirmation."""
    return session.scalars(
        select(Submission).where(
            Submission.roster_record_id == link.roster_record_id,
            Submission.state.in_((SubmissionState.CAPTURED, SubmissionState.STANDARDISED)),
        ).order_by(Submission.id.desc())
    ).first()


# ---- status ------------------------------------------------------------------------------------


class NextSubmission(str, Enum):
    """What submitting another photo would use."""

    SUBMISSION = "submission"  # a free (or already bought) review submission
    REPLACEMENT = "replacement"  # the free replacement of a photo still awaiting review
    BUY_SUBMISSION = "buy_submission"
    BUY_REPLACEMENT = "buy_replacement"
    CLOSED = "closed"  # approved: no more photos

    @property
    def purchase(self) -> PaymentPurpose | None:
        return {
            NextSubmission.BUY_SUBMISSION: PaymentPurpose.EXTRA_SUBMISSION,
            NextSubmission.BUY_REPLACEMENT: PaymentPurpose.EXTRA_REPLACEMENT,
        }.get(self)


@dataclass(frozen=True)
class Stage:
    label_zh: str
    label_en: str
    reached: bool
    current: bool
    failed: bool = False


@dataclass(frozen=True)
class Rejection:
    label_zh: str
    student_text_zh: str
    note: str


@dataclass(frozen=True)
class StudentStatus:
    """Everything the status page (查看采集结果) shows, for one linked task."""

    link_id: int
    roster_record_id: int
    school_name: str
    school_code: str
    category_zh: str
    cohort: str
    task_title: str
    masked_name: str
    student_number: str
    id_last4: str
    paid: bool
    on_temporary_code: bool
    submission_id: int | None
    state: SubmissionState | None
    state_zh: str
    state_en: str
    stages: tuple[Stage, ...]
    face_verdict: Verdict | None
    rejection: Rejection | None
    standardisations_left: int
    daily_standardisations: int
    free_submissions_left: int
    submissions_left: int
    replacements_left: int
    next_submission: NextSubmission
    extra_price_fen: int
    approved_photo_sha: str | None
    unread: int

    @property
    def approved(self) -> bool:
        return self.state in quotas.APPROVED_STATES


SHOWN_STATES = (
    SubmissionState.SUBMITTED, SubmissionState.AUTO_BLOCKED, SubmissionState.AWAITING_REVIEW,
    SubmissionState.APPROVED, SubmissionState.REJECTED, SubmissionState.IN_BATCH,
    SubmissionState.ON_CHSI, SubmissionState.UPLOAD_FAILED,
)
_STAGE_NAMES = (("已上传", "Uploaded"), ("待审核", "Awaiting review"), ("审核结果", "Review result"),
                ("待上网", "Waiting for CHSI"), ("已上网", "On CHSI"))
_STAGE_OF = {
    SubmissionState.SUBMITTED: 0, SubmissionState.AUTO_BLOCKED: 0, SubmissionState.AWAITING_REVIEW: 1,
    SubmissionState.APPROVED: 2, SubmissionState.REJECTED: 2, SubmissionState.IN_BATCH: 3,
    SubmissionState.UPLOAD_FAILED: 3, SubmissionState.ON_CHSI: 4,
}


@pure
def stages(state: SubmissionState | None) -> tuple[Stage, ...]:
    """已上传 → 待审核 → 审核通过/未通过 → 待上网 → 已上网, with the current one marked."""
    current = _STAGE_OF.get(state) if state is not None else None
    failed = state in (SubmissionState.AUTO_BLOCKED, SubmissionState.REJECTED)
    out = []
    for index, (zh, en) in enumerate(_STAGE_NAMES):
        if index == 2 and state is SubmissionState.REJECTED:
            zh, en = "审核未通过", "Rejected"
        elif index == 2 and current is not None and current >= 2:
            zh, en = "审核通过", "Approved"
        elif index == 0 and state is SubmissionState.AUTO_BLOCKED:
            zh, en = STATE_LABELS_ZH[state], STATE_LABELS_EN[state]
        reached = current is not None and index <= current and not (failed and index == current)
        out.append(Stage(zh, en, reached=reached, current=index == current, failed=failed and index == current))
    return tuple(out)


def _next_submission(session: Session, record_id: int, usage: rules.QuotaUsage, policy: Policy) -> NextSubmission:
    if usage.has_approved_photo:
        return NextSubmission.CLOSED
    waiting = session.scalar(select(Submission.id).where(
        Submission.roster_record_id == record_id, Submission.state == SubmissionState.AWAITING_REVIEW))
    if waiting is not None:
        return NextSubmission.REPLACEMENT if rules.replacements_left(usage, policy) else NextSubmission.BUY_REPLACEMENT
    return NextSubmission.SUBMISSION if rules.submissions_left(usage, policy) else NextSubmission.BUY_SUBMISSION


@own_data
def status(session: Session, link: AccountLink, *, now: datetime | None = None) -> StudentStatus:
    record, task = link.roster_record, link.task
    policy = get_policy(session)
    usage = quotas.usage(session, record.id, now)
    latest = session.scalars(
        select(Submission).where(Submission.roster_record_id == record.id, Submission.state.in_(SHOWN_STATES))
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
    ).first()
    rejection = None
    if latest is not None and latest.state is SubmissionState.REJECTED:
        # the reason that counts: a settled disagreement's, else the first decision's (a senior's
        # blind second opinion is not the student's answer until it is settled)
        settled = session.scalars(
            select(ReviewSettlement).where(ReviewSettlement.submission_id == latest.id,
                                           ReviewSettlement.decision == Decision.REJECT)
            .order_by(ReviewSettlement.id.desc())
        ).first()
        decision = settled or session.scalars(
            select(ReviewDecision).where(ReviewDecision.submission_id == latest.id, ReviewDecision.undone_at.is_(None),
                                         ReviewDecision.is_second_review.is_(False))
            .order_by(ReviewDecision.decided_at.desc())
        ).first()
        reason = BY_CODE[(decision.reason_code if decision else None) or "other"]
        rejection = Rejection(reason.label_zh, reason.student_text_zh, decision.note if decision else "")
    approved = latest is not None and latest.state in quotas.APPROVED_STATES
    return StudentStatus(
        link_id=link.id, roster_record_id=record.id, school_name=task.school.name, school_code=task.school.code,
        category_zh=task.category.label_zh, cohort=task.cohort, task_title=task.title,
        masked_name=mask_name(record.name), student_number=record.student_number, id_last4=record.id_last4,
        paid=is_paid(session, link), on_temporary_code=record.on_temporary_code,
        submission_id=latest.id if latest else None, state=latest.state if latest else None,
        state_zh=STATE_LABELS_ZH[latest.state] if latest else "未上传",
        state_en=STATE_LABELS_EN[latest.state] if latest else "Not uploaded",
        stages=stages(latest.state if latest else None),
        face_verdict=latest.face_verdict if latest else None,
        rejection=rejection,
        standardisations_left=rules.standardisations_left(usage, policy),
        daily_standardisations=policy.daily_standardisations,
        free_submissions_left=rules.free_submissions_left(usage, policy),
        submissions_left=rules.submissions_left(usage, policy),
        replacements_left=rules.replacements_left(usage, policy),
        next_submission=_next_submission(session, record.id, usage, policy),
        extra_price_fen=policy.extra_service_price_fen,
        approved_photo_sha=latest.standardised_sha if approved and latest else None,
        unread=notifications.unread_count(session, link.account_id),
    )


@pure
def quality_checks(submission: Submission) -> list[Check]:
    """The stored quality report as typed checks, failed ones first."""
    checks = [Check.from_dict(item) for item in submission.quality_report or []]
    return sorted(checks, key=lambda c: (c.passed, not c.critical))


@dataclass(frozen=True)
class CaptureProgress:
    """Where a capture is in the worker: still standardising, ready, or refused with the reason."""

    submission_id: int
    ready: bool
    error_zh: str | None = None
    error_en: str | None = None

    @property
    def waiting(self) -> bool:
        return not self.ready and self.error_zh is None


def _processing_failed(subject_id: int | SQLColumnExpression[int]) -> tuple[ColumnElement[bool], ...]:
    """The photo's standardisation job failed for good: one rule for one capture and for many."""
    return (ProcessingJob.kind == jobs.PROCESS_SUBMISSION, ProcessingJob.subject_id == subject_id,
            ProcessingJob.status == JobStatus.FAILED)


@own_data
def capture_progress(session: Session, submission: Submission) -> CaptureProgress:
    if submission.state is SubmissionState.STANDARDISED:
        return CaptureProgress(submission.id, ready=True)
    if submission.processing_error:
        refusal = next((c for c in quality_checks(submission) if not c.passed), None)
        if refusal is None:
            return CaptureProgress(submission.id, ready=False, error_zh=submission.processing_error,
                                   error_en=submission.processing_error)
        return CaptureProgress(submission.id, ready=False, error_zh=refusal.message_zh, error_en=refusal.message_en)
    failed = session.scalar(select(ProcessingJob.id).where(*_processing_failed(submission.id)))
    if failed is not None:
        return CaptureProgress(
            submission.id, ready=False,
            error_zh=f"照片处理失败，本次不计入今日标准化次数，请重新拍摄；如多次失败请联系客服 {HOTLINE}。",
            error_en="Processing the photo failed and does not count against today's standardisations; take it "
                     f"again, and call support {HOTLINE} if it keeps failing.",
        )
    return CaptureProgress(submission.id, ready=False)


@own_data
def still_waiting(session: Session, captures: Collection[tuple[int, int]]) -> set[int]:
    """Of these (account id, capture id) pairs, the captures that :func:`capture_progress` would
    still call waiting, in one query: the API's long polls of many students check their captures
    together each tick instead of building one view each. A capture not of that account is never
    reported as waiting."""
    owners = dict((capture_id, account_id) for account_id, capture_id in captures)
    if not owners:
        return set()
    failed = exists().where(*_processing_failed(Submission.id))
    rows = session.execute(select(Submission.id, Submission.account_id).where(
        Submission.id.in_(list(owners)), Submission.state == SubmissionState.CAPTURED,
        or_(Submission.processing_error.is_(None), Submission.processing_error == ""), ~failed))
    return {capture_id for capture_id, account_id in rows if owners[capture_id] == account_id}
