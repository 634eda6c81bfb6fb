"""The support desk: find a caller's record across all schools, see everything about it in one
place, and the actions that resolve hotline tickets.

Lookup uses only exact and prefix matches on btree indexes (name, student number, ID last 4,
WeChat openid/nickname, ticket number), so it stays fast at a million records. A fragment from the
middle of a name (``%白云%``) cannot use a btree index and scans the roster (about 1-2 s at a million
records, see bench/bench_lookup.py), so it runs only when the agent asks for it.

Each action takes a reason, is audited by the core service it calls, refuses what the rules forbid
with that rule's own message, and, when worked from a ticket, leaves a note on the ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from core.db import get_or_raise
from core.domain import quotas as quota_rules
from core.domain.access import SUPPORT_ROLES, Actor, allowed, require_role
from core.domain.enums import (
    BatchItemResult,
    BatchStatus,
    ConsentChannel,
    Decision,
    EducationCategory,
    NotificationConsent,
    QuotaKind,
    SubmissionState,
    Verdict,
)
from core.domain.identity import mask_id, normalise_text
from core.domain.policy import Policy
from core.domain.tickets import ticket_id_from_number
from core.domain.text import REASON, SEARCH_MAX, Field, clean_text, escape_like
from core.errors import InvalidInput
from core.imaging.collection_code import decode_collection_code
from core.imaging.errors import ImageLoadError
from core.imaging.loading import load_image
from core.imaging.types import Check
from core.models import (
    AccountLink,
    AuditEvent,
    BatchItem,
    CollectionTask,
    Notification,
    Payment,
    QuotaEntry,
    ReviewDecision,
    RosterRecord,
    School,
    StaffUser,
    StudentAccount,
    Submission,
    SupportTicket,
    UploadBatch,
    utcnow,
)
from core.services import audit, linking, notifications, payments, quotas, review, tickets
from core.services._views import view_of
from core.services.payments import PaymentView
from core.services.quotas import QuotaEntryView
from core.services.policy import get_policy

MIN_QUERY = 2
_ID_LAST4 = re.compile(r"^\d{3}[\dX]$")
_ALNUM = re.compile(r"^[0-9A-Za-z_-]+$")


# ---------------------------------------------------------------- lookup


@dataclass(frozen=True)
class StudentHit:
    record_id: int
    name: str
    student_number: str
    id_masked: str
    school_name: str
    school_code: str
    category: EducationCategory
    cohort: str
    matched_by: str
    """name | name_prefix | name_part | student_number | student_number_prefix | id_last4 | wechat | ticket"""


SEARCH = Field("查询内容", "Search", SEARCH_MAX)


@allowed(*SUPPORT_ROLES)
def search(session: Session, actor: Actor, query: str, *, limit: int = 20,
           anywhere_in_name: bool = False) -> list[StudentHit]:
    """Roster records matching what a caller gives, best matches first, across all schools.
    ``anywhere_in_name`` adds matches of the text inside a name (a scan: slow on a large roster)."""
    require_role(actor, *SUPPORT_ROLES)
    text = normalise_text(clean_text(query, SEARCH)).replace(" ", "")
    if len(text) < MIN_QUERY:
        raise InvalidInput(f"请至少输入 {MIN_QUERY} 个字符：姓名、学号、证件号后4位、微信昵称或工单号。",
                           f"Enter at least {MIN_QUERY} characters: name, student number, ID last 4, "
                           "WeChat nickname or ticket number.")
    found: dict[int, str] = {}

    def add(condition: ColumnElement[bool], matched_by: str, joins: tuple[tuple[Any, Any], ...] = (),
            ordered: bool = True) -> None:
        if len(found) >= limit:
            return
        q = select(RosterRecord.id)
        for target, on in joins:
            q = q.join(target, on)
        q = q.where(condition)
        if found:
            q = q.where(RosterRecord.id.not_in(list(found)))
        if ordered:
            q = q.order_by(RosterRecord.id)
        for record_id in sorted(session.scalars(q.limit(limit - len(found)))):
            found.setdefault(record_id, matched_by)

    ticket_id = ticket_id_from_number(text)
    if ticket_id is not None:
        add(SupportTicket.number == text.upper(), "ticket",
            ((SupportTicket, SupportTicket.roster_record_id == RosterRecord.id),))
    if _ID_LAST4.match(text.upper()):
        add(RosterRecord.id_last4 == text.upper(), "id_last4")
    if _ALNUM.match(text):
        add(RosterRecord.student_number == text, "student_number")
        if len(text) >= 4:
            add(RosterRecord.student_number.like(escape_like(text) + "%", escape="\\"), "student_number_prefix")
    wechat = ((AccountLink, AccountLink.roster_record_id == RosterRecord.id),
              (StudentAccount, StudentAccount.id == AccountLink.account_id))
    add(or_(StudentAccount.wechat_openid == text, StudentAccount.nickname == text), "wechat", wechat)
    if not any(ch.isdigit() for ch in text):
        add(RosterRecord.name == text, "name")
        add(RosterRecord.name.like(escape_like(text) + "%", escape="\\"), "name_prefix")
        if anywhere_in_name:  # unordered, so the scan stops at the first ``limit`` matches
            add(RosterRecord.name.like("%" + escape_like(text) + "%", escape="\\"), "name_part", ordered=False)
    if not found:
        return []
    rows = session.execute(
        select(RosterRecord, School).join(School, RosterRecord.school_id == School.id)
        .where(RosterRecord.id.in_(list(found)))
    ).tuples().all()
    order = {record_id: i for i, record_id in enumerate(found)}
    rows = sorted(rows, key=lambda r: order[r[0].id])
    return [
        StudentHit(record.id, record.name, record.student_number, mask_id(record.id_number), school.name,
                   school.code, record.category, record.cohort, found[record.id])
        for record, school in rows
    ]


# ---------------------------------------------------------------- the 360° view


@dataclass(frozen=True)
class RecordView:
    id: int
    name: str
    student_number: str
    id_masked: str
    school_id: int
    school_name: str
    school_code: str
    registrar_contact: str
    category: EducationCategory
    cohort: str
    department: str
    class_name: str
    has_chsi_photo: bool
    onsite_collected: bool
    on_temporary_code: bool
    has_collection_code: bool
    enrolment_photo_sha: str | None
    enrolment_error: str | None


@dataclass(frozen=True)
class LinkView:
    id: int
    active: bool
    account_id: int
    wechat_openid: str
    nickname: str
    task_id: int
    task_title: str
    mailing_address: str
    linked_at: datetime
    unlinked_at: datetime | None
    unlinked_by: str | None
    unlink_reason: str | None
    paid: bool
    notification_consent: NotificationConsent | None
    """The account's 微信通知授权 (None: not asked yet), when and where it was answered."""
    notification_consent_at: datetime | None
    notification_consent_channel: ConsentChannel | None


@dataclass(frozen=True)
class DecisionView:
    decision: Decision
    reviewer_name: str
    reason_code: str | None
    note: str
    decided_at: datetime
    undone_at: datetime | None
    is_second_review: bool


@dataclass(frozen=True)
class SubmissionView:
    id: int
    state: SubmissionState
    attempt_number: int
    on_temporary_code: bool
    raw_sha: str
    standardised_sha: str | None
    thumbnail_sha: str | None
    quality_ok: bool | None
    checks: list[Check]
    face_similarity: float | None
    face_verdict: Verdict | None
    processing_error: str | None
    captured_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    decisions: list[DecisionView]


@dataclass(frozen=True)
class QuotaView:
    standardisations_today: int
    standardisations_left_today: int
    standardisations_granted_today: int
    daily_limit: int
    submissions_used: int
    submissions_left: int
    free_submissions_left: int
    replacements_used: int
    replacements_left: int
    has_approved_photo: bool


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    title: str
    body: str
    created_at: datetime
    delivered_at: datetime | None
    withheld: str | None
    read_at: datetime | None


@dataclass(frozen=True)
class BatchView:
    batch_number: str
    batch_status: BatchStatus
    exported_at: datetime | None
    submission_id: int
    file_name: str
    result: BatchItemResult
    failure_reason: str | None


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor_name: str
    action: str
    detail: dict[str, object]


@dataclass(frozen=True)
class StudentView:
    record: RecordView
    links: list[LinkView]
    payments: list[PaymentView]
    submissions: list[SubmissionView]
    quota: QuotaView
    quota_entries: list[QuotaEntryView]
    notifications: list[NotificationView]
    batches: list[BatchView]
    tickets: list[tickets.TicketRow]
    history: list[AuditView]

    @property
    def active_link(self) -> LinkView | None:
        return next((link for link in self.links if link.active), None)


@allowed(*SUPPORT_ROLES)
def student_view(session: Session, actor: Actor, record_id: int, *, now: datetime | None = None) -> StudentView:
    """Everything about one student, for the agent on the phone. Looking is audited (personal data)."""
    require_role(actor, *SUPPORT_ROLES)
    record = get_or_raise(session, RosterRecord, record_id, "学籍记录不存在。", "Roster record not found.")
    policy = get_policy(session)
    view = StudentView(
        record=_record_view(record),
        links=_links(session, record.id),
        payments=[PaymentView.of(p) for p in session.scalars(
            select(Payment).where(Payment.roster_record_id == record.id).order_by(Payment.created_at.desc()))],
        submissions=_submissions(session, record.id),
        quota=_quota_view(quotas.usage(session, record.id, now), policy),
        quota_entries=[
            view_of(QuotaEntryView, e)
            for e in session.scalars(select(QuotaEntry).where(QuotaEntry.roster_record_id == record.id)
                                     .order_by(QuotaEntry.created_at.desc(), QuotaEntry.id.desc()))
        ],
        notifications=[
            view_of(NotificationView, n)
            for n in session.scalars(select(Notification).where(Notification.roster_record_id == record.id)
                                     .order_by(Notification.created_at.desc(), Notification.id.desc()))
        ],
        batches=[
            BatchView(batch.number, batch.status, batch.exported_at, item.submission_id, item.file_name,
                      item.result, item.failure_reason)
            for item, batch in session.execute(
                select(BatchItem, UploadBatch).join(UploadBatch, BatchItem.batch_id == UploadBatch.id)
                .where(BatchItem.roster_record_id == record.id).order_by(UploadBatch.created_at.desc()))
        ],
        tickets=tickets.tickets_for_record(session, actor, record.id, now=now),
        history=[
            AuditView(e.at, e.actor_name, e.action, dict(e.detail))
            for e in session.scalars(select(AuditEvent).where(_about(record.id)).order_by(AuditEvent.id.desc())
                                     .limit(100))
        ],
    )
    _audit_view(session, actor, record, now or utcnow())
    return view


def _about(record_id: int) -> ColumnElement[bool]:
    """Events of this record, and those of the WeChat accounts ever linked to it that name no record
    (a failed identity check whose student number found none, before the student linked)."""
    accounts = select(AccountLink.account_id).where(AccountLink.roster_record_id == record_id)
    return or_(AuditEvent.roster_record_id == record_id,
               and_(AuditEvent.entity_type == "student_account", AuditEvent.roster_record_id.is_(None),
                    AuditEvent.entity_id.in_(accounts)))


VIEW_AUDIT_WINDOW = timedelta(minutes=30)
"""A page re-reads the view on every click; one audit entry per agent, record and half hour says
who looked at whose data without burying the log."""


def _audit_view(session: Session, actor: Actor, record: RosterRecord, now: datetime) -> None:
    recent = session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.roster_record_id == record.id, AuditEvent.action == "support.view",
            AuditEvent.actor_kind == actor.kind, AuditEvent.actor_id == actor.id,
            AuditEvent.at > now - VIEW_AUDIT_WINDOW,
        ).limit(1)
    )
    if recent is None:
        event = audit.record(session, actor, "support.view", "roster_record", record.id,
                             school_id=record.school_id, roster_record_id=record.id)
        event.at = now
        session.flush()


def _record_view(record: RosterRecord) -> RecordView:
    school = record.school
    return RecordView(
        id=record.id, name=record.name, student_number=record.student_number, id_masked=mask_id(record.id_number),
        school_id=school.id, school_name=school.name, school_code=school.code,
        registrar_contact=school.registrar_contact, category=record.category, cohort=record.cohort,
        department=record.department, class_name=record.class_name, has_chsi_photo=record.has_chsi_photo,
        onsite_collected=record.onsite_collected, on_temporary_code=record.on_temporary_code,
        has_collection_code=record.collection_code_hash is not None,
        enrolment_photo_sha=record.enrolment_photo_sha, enrolment_error=record.enrolment_error,
    )


def _links(session: Session, record_id: int) -> list[LinkView]:
    rows = session.execute(
        select(AccountLink, StudentAccount, CollectionTask)
        .join(StudentAccount, AccountLink.account_id == StudentAccount.id)
        .join(CollectionTask, AccountLink.task_id == CollectionTask.id)
        .where(AccountLink.roster_record_id == record_id)
        .order_by(AccountLink.linked_at.desc(), AccountLink.id.desc())
    ).all()
    return [
        LinkView(link.id, link.active, account.id, account.wechat_openid, account.nickname, task.id, task.title,
                 link.mailing_address, link.linked_at, link.unlinked_at, link.unlinked_by, link.unlink_reason,
                 linking.is_paid(session, link), account.notification_consent, account.notification_consent_at,
                 account.notification_consent_channel)
        for link, account, task in rows
    ]


def _submissions(session: Session, record_id: int) -> list[SubmissionView]:
    reviewers = dict(session.execute(
        select(StaffUser.id, StaffUser.display_name)
        .join(ReviewDecision, ReviewDecision.reviewer_id == StaffUser.id)
        .join(Submission, ReviewDecision.submission_id == Submission.id)
        .where(Submission.roster_record_id == record_id)
    ).tuples().all())
    views = []
    for s in session.scalars(select(Submission).where(Submission.roster_record_id == record_id)
                             .order_by(Submission.captured_at.desc(), Submission.id.desc())):
        views.append(SubmissionView(
            id=s.id, state=s.state, attempt_number=s.attempt_number, on_temporary_code=s.on_temporary_code,
            raw_sha=s.raw_sha, standardised_sha=s.standardised_sha, thumbnail_sha=s.thumbnail_sha,
            quality_ok=s.quality_ok, checks=[Check.from_dict(c) for c in s.quality_report],
            face_similarity=s.face_similarity, face_verdict=s.face_verdict, processing_error=s.processing_error,
            captured_at=s.captured_at, submitted_at=s.submitted_at, decided_at=s.decided_at,
            decisions=[
                DecisionView(d.decision, reviewers.get(d.reviewer_id, ""), d.reason_code, d.note, d.decided_at,
                             d.undone_at, d.is_second_review)
                for d in s.decisions
            ],
        ))
    return views


def _quota_view(usage: quota_rules.QuotaUsage, policy: Policy) -> QuotaView:
    return QuotaView(
        standardisations_today=usage.standardisations_today,
        standardisations_left_today=quota_rules.standardisations_left(usage, policy),
        standardisations_granted_today=usage.standardisations_granted_today,
        daily_limit=policy.daily_standardisations,
        submissions_used=usage.submissions_used,
        submissions_left=quota_rules.submissions_left(usage, policy),
        free_submissions_left=quota_rules.free_submissions_left(usage, policy),
        replacements_used=usage.replacements_used,
        replacements_left=quota_rules.replacements_left(usage, policy),
        has_approved_photo=usage.has_approved_photo,
    )


# ---------------------------------------------------------------- actions


def _on_ticket(session: Session, actor: Actor, ticket_id: int | None, text: str) -> None:
    if ticket_id is not None:
        tickets.add_note(session, actor, ticket_id, text)


def _record(session: Session, record_id: int) -> RosterRecord:
    record = get_or_raise(session, RosterRecord, record_id, "学籍记录不存在。", "Roster record not found.")
    return record


@allowed(*SUPPORT_ROLES)
def unbind(session: Session, actor: Actor, link_id: int, reason: str, *, ticket_id: int | None = None) -> LinkView:
    """帐号解绑 by support, also after payment; refused once the approved photo is in an exported batch."""
    reason = clean_text(reason, REASON)
    link = linking.unbind(session, actor, link_id, reason)
    _on_ticket(session, actor, ticket_id, f"已解绑微信账号（关联 #{link.id}）。原因：{reason}")
    return next(view for view in _links(session, link.roster_record_id) if view.id == link.id)


@allowed(*SUPPORT_ROLES)
def reset_daily_quota(session: Session, actor: Actor, record_id: int, reason: str, *,
                      ticket_id: int | None = None, now: datetime | None = None) -> QuotaEntryView:
    """Give back today's standardisations, as if the day had just begun."""
    reason = clean_text(reason, REASON)
    _record(session, record_id)
    usage = quotas.usage(session, record_id, now)
    policy = get_policy(session)
    used_up = policy.daily_standardisations - quota_rules.standardisations_left(usage, policy)
    if used_up <= 0:
        raise InvalidInput(f"今日 {policy.daily_standardisations} 次标准化尚未使用，无需重置。",
                           "Today's standardisations are all still available; nothing to reset.")
    entry = quotas.grant(session, actor, record_id, QuotaKind.STANDARDISATION, reason, amount=used_up, now=now)
    review.send_override_to_second_review(session, actor, entry)
    _on_ticket(session, actor, ticket_id, f"已重置今日标准化次数（+{used_up}）。原因：{reason}")
    return view_of(QuotaEntryView, entry)


@allowed(*SUPPORT_ROLES)
def extend_daily_quota(session: Session, actor: Actor, record_id: int, amount: int, reason: str, *,
                       ticket_id: int | None = None, now: datetime | None = None) -> QuotaEntryView:
    reason = clean_text(reason, REASON)
    entry = quotas.grant(session, actor, record_id, QuotaKind.STANDARDISATION, reason, amount=amount, now=now)
    review.send_override_to_second_review(session, actor, entry)
    _on_ticket(session, actor, ticket_id, f"今日标准化次数增加 {amount} 次。原因：{reason}")
    return view_of(QuotaEntryView, entry)


@allowed(*SUPPORT_ROLES)
def grant_submission(session: Session, actor: Actor, record_id: int, reason: str, *,
                     ticket_id: int | None = None) -> QuotaEntryView:
    reason = clean_text(reason, REASON)
    entry = quotas.grant(session, actor, record_id, QuotaKind.SUBMISSION, reason)
    review.send_override_to_second_review(session, actor, entry)
    _on_ticket(session, actor, ticket_id, f"赠送 1 次免费提交审核。原因：{reason}")
    return view_of(QuotaEntryView, entry)


@allowed(*SUPPORT_ROLES)
def grant_replacement(session: Session, actor: Actor, record_id: int, reason: str, *,
                      ticket_id: int | None = None) -> QuotaEntryView:
    """Refused once a photo is approved: the rule in core.domain.quotas words the refusal."""
    reason = clean_text(reason, REASON)
    entry = quotas.grant(session, actor, record_id, QuotaKind.REPLACEMENT, reason)
    review.send_override_to_second_review(session, actor, entry)
    _on_ticket(session, actor, ticket_id, f"赠送 1 次更换照片。原因：{reason}")
    return view_of(QuotaEntryView, entry)


@allowed(*SUPPORT_ROLES)
def link_uploaded_code(session: Session, actor: Actor, record_id: int, image: bytes, reason: str, *,
                       ticket_id: int | None = None) -> RecordView:
    """The temporary-shooting-code case: the student sent their CHSI code image to the agent, who
    decodes it here (a fast QR read, not photo processing) and links it, releasing the held photo."""
    reason = clean_text(reason, REASON)
    require_role(actor, *SUPPORT_ROLES)
    if not reason:
        raise InvalidInput("请填写原因。", "A reason is required.")
    record = _record(session, record_id)
    try:
        loaded = load_image(image)
    except ImageLoadError as error:
        raise InvalidInput(error.message_zh, error.message_en) from error
    decoded = decode_collection_code(loaded.rgb)
    if decoded.error is not None:
        raise InvalidInput(decoded.error.message_zh, decoded.error.message_en)
    linking.link_collection_code(session, actor, record, decoded)
    audit.record(session, actor, "support.link_code", "roster_record", record.id, school_id=record.school_id,
                 roster_record_id=record.id, reason=reason, ticket_id=ticket_id)
    _on_ticket(session, actor, ticket_id, f"已为学生上传并关联学信网图像采集码。原因：{reason}")
    session.flush()
    return _record_view(record)


@allowed(*SUPPORT_ROLES)
def refund(session: Session, actor: Actor, payment_id: int, reason: str, *, ticket_id: int | None = None) -> PaymentView:
    reason = clean_text(reason, REASON)
    payment = payments.mark_refunded(session, actor, payment_id, reason)
    _on_ticket(session, actor, ticket_id, f"订单 {payment.order_no} 已标记退款。原因：{reason}")
    return payment


@allowed(*SUPPORT_ROLES)
def resend_notification(session: Session, actor: Actor, notification_id: int, reason: str, *,
                        ticket_id: int | None = None) -> NotificationView:
    """Sends the same message again, to the account linked now (it may have changed since)."""
    reason = clean_text(reason, REASON)
    require_role(actor, *SUPPORT_ROLES)
    original = get_or_raise(session, Notification, notification_id, "通知不存在。", "No such notification.")
    if not reason:
        raise InvalidInput("请填写重发原因。", "A reason is required to resend.")
    data = {k: v for k, v in original.data.items() if k != "resent_of"}
    copy = notifications.notify(session, original.roster_record_id, original.kind, original.title, original.body,
                                **data, resent_of=original.id)
    session.flush()
    record = _record(session, original.roster_record_id)
    audit.record(session, actor, "notification.resend", "notification", copy.id, school_id=record.school_id,
                 roster_record_id=record.id, original_id=original.id, reason=reason)
    _on_ticket(session, actor, ticket_id, f"已重发通知“{original.title}”。原因：{reason}")
    return view_of(NotificationView, copy)
