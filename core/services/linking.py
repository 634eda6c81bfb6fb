"""Student sign-in, identity check and linking an account to a roster record, and unbinding.

Rules (seed, steps 6-7 and 关联任务 notes): name + student number + ID last 4 (+ collection code
when given) must match one record of an open task; one WeChat account per record; a record with a
CHSI photo or on-site collection cannot be linked; a linked and paid record cannot be unbound by
the student, only by support staff with a reason. Too many failed checks lock the check for 24 h.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.contacts import HOTLINE
from core.domain.access import Actor, allowed, internal, own_data, pure, require_role, require_school
from core.domain.enums import BatchStatus, MailingMode, PaymentPurpose, PaymentStatus, Role, SubmissionState, TaskStatus
from core.domain.identity import mask_name, normalise_text
from core.domain.text import REASON, Field, clean_text
from core.errors import AccessDenied, Conflict, InvalidInput, LinkRefused, NotFound
from core.imaging.collection_code import DecodedCode
from core.models import (
    AccountLink,
    BatchItem,
    CollectionTask,
    Payment,
    RosterRecord,
    StudentAccount,
    Submission,
    UploadBatch,
    field,
    utcnow,
)
from core.services import audit
from core.services.policy import get_policy


@internal
def sign_in(session: Session, openid: str, nickname: str) -> StudentAccount:
    account = session.scalar(select(StudentAccount).where(StudentAccount.wechat_openid == openid))
    if account is None:
        account = StudentAccount(wechat_openid=openid, nickname=nickname)
        session.add(account)
        session.flush()
    return account


@own_data
def acknowledge_notice(session: Session, account: StudentAccount) -> None:
    """The student read the notice (live capture only, no album, no beauty filters, no desktop WeChat)."""
    if account.notice_acknowledged_at is None:
        account.notice_acknowledged_at = utcnow()
        session.flush()


NAME = field(RosterRecord.name, "姓名", "Name")
STUDENT_NUMBER = field(RosterRecord.student_number, "学号", "Student number")
ID_LAST4 = field(RosterRecord.id_last4, "证件号后4位", "Last 4 of the ID number")


@dataclass(frozen=True)
class VerificationOutcome:
    """The matched record, or the refusal (returned, not raised, so the failure count is kept).
    ``attempts_left`` counts the failures allowed before the check locks (None when locked or matched)."""

    record: RosterRecord | None
    error: LinkRefused | InvalidInput | None
    attempts_left: int | None = None

    @property
    def masked_name(self) -> str:
        return mask_name(self.record.name) if self.record else ""


@internal
def open_task(session: Session, task_id: int, now: datetime | None = None) -> CollectionTask:
    task = session.get(CollectionTask, task_id)
    today = (now or utcnow()).date()
    if task is None or task.status is not TaskStatus.OPEN or not task.opens_on <= today <= task.closes_on:
        raise LinkRefused("该采集任务未开放或已结束，请核对学校通知。",
                          "This collection task is not open; check your school's notice.")
    return task


@own_data
def verify_identity(
    session: Session,
    account: StudentAccount,
    task_id: int,
    *,
    name: str,
    student_number: str,
    id_last4: str,
    code: DecodedCode | None,
    now: datetime | None = None,
) -> VerificationOutcome:
    moment = now or utcnow()
    try:
        name, student_number = clean_text(name, NAME), clean_text(student_number, STUDENT_NUMBER)
        id_last4 = clean_text(id_last4, ID_LAST4)
    except InvalidInput as unreadable:  # not a failed check: nothing was compared
        return VerificationOutcome(None, unreadable)
    policy = get_policy(session)
    if account.verification_locked_until and account.verification_locked_until > moment:
        return VerificationOutcome(None, LinkRefused(
            f"身份核验失败次数过多，已锁定 {policy.verification_lock_hours} 小时，请稍后再试。",
            f"Too many failed checks; identity check is locked for {policy.verification_lock_hours} hours.",
        ))
    try:
        task = open_task(session, task_id, moment)
        record = _match(session, task, name, student_number, id_last4, code, account)
    except LinkRefused as refusal:
        account.failed_verifications += 1
        locked = account.failed_verifications >= policy.verification_attempts
        _audit_failure(session, account, task_id, refusal, student_number=student_number, id_last4=id_last4,
                       failures=account.failed_verifications, allowed=policy.verification_attempts, locked=locked)
        if locked:
            account.verification_locked_until = moment + timedelta(hours=policy.verification_lock_hours)
            account.failed_verifications = 0
            session.flush()
            return VerificationOutcome(None, LinkRefused(
                f"{refusal.message_zh} 身份核验失败次数过多，已锁定 {policy.verification_lock_hours} 小时，请稍后再试。",
                f"{refusal.message_en} Too many failed checks: locked for {policy.verification_lock_hours} hours.",
            ))
        session.flush()
        return VerificationOutcome(None, refusal, policy.verification_attempts - account.failed_verifications)
    account.failed_verifications = 0
    session.flush()
    return VerificationOutcome(record, None)


MISMATCH_WORDS: dict[str, tuple[str, str]] = {
    "task_closed": ("采集任务未开放", "task not open"),
    "student_number": ("学号不在名单中", "student number not on the roster"),
    "name": ("姓名不符", "name differs"),
    "id_last4": ("证件号后4位不符", "ID last 4 differ"),
    "already_collected": ("已有学信网照片或已现场采集", "already has a CHSI photo or on-site collection"),
    "code_unreadable": ("采集码无法识别", "collection code unreadable"),
    "code": ("采集码与学籍不符", "collection code does not match"),
    "code_in_use": ("采集码已被其他学籍使用", "collection code used by another record"),
    "linked_elsewhere": ("学籍已被其他微信号关联", "record linked to another WeChat account"),
    "other_record": ("本微信号已关联该任务的其他学籍", "account linked to another record of the task"),
}
"""What did not match, in general terms, for the audit log: never the typed values themselves."""


def _audit_failure(session: Session, account: StudentAccount, task_id: int, refusal: LinkRefused, *,
                   student_number: str, id_last4: str, failures: int, allowed: int, locked: bool) -> None:
    """A failed identity check, written in the same transaction as the failure count (the refusal is
    returned, not raised, so both commit). The ID number appears as its last 4 only; the roster
    record is named when the student number found one, so support can filter by the student."""
    given = refusal.context.get("mismatch")
    mismatch = [str(m) for m in given] if isinstance(given, tuple) else ["task_closed"]  # open_task names none
    record_id = refusal.context.get("record_id")
    task = session.get(CollectionTask, task_id)
    audit.record(
        session, Actor.student(account.id, account.nickname),
        "identity.check_locked" if locked else "identity.check_failed", "student_account", account.id,
        school_id=task.school_id if task else None,
        roster_record_id=record_id if isinstance(record_id, int) else None,
        task_id=task_id, student_number=student_number[:32], id_last4=id_last4[-4:],
        mismatch=mismatch, mismatch_zh="、".join(MISMATCH_WORDS.get(m, (m, m))[0] for m in mismatch),
        failures=failures, attempts_allowed=allowed, locked=locked,
    )


def _match(session: Session, task: CollectionTask, name: str, student_number: str, id_last4: str,
           code: DecodedCode | None, account: StudentAccount) -> RosterRecord:
    record = session.scalar(
        select(RosterRecord).where(
            RosterRecord.school_id == task.school_id,
            RosterRecord.category == task.category,
            RosterRecord.cohort == task.cohort,
            RosterRecord.student_number == normalise_text(student_number).replace(" ", ""),
        )
    )
    mismatch = ("student_number",) if record is None else tuple(
        word for word, differs in (("name", record.name != normalise_text(name).replace(" ", "")),
                                   ("id_last4", record.id_last4.upper() != normalise_text(id_last4).upper()))
        if differs)
    record_id = record.id if record is not None else None
    if mismatch:
        raise LinkRefused(
            "未在采集名单中查询到您的学籍信息，请核对姓名、学号和证件号后4位；如确认无误，请联系学籍部门添加信息。",
            "No matching roster record. Check your name, student number and ID last 4; if they are "
            "right, ask your registrar to add you.",
            mismatch=mismatch, record_id=record_id,
        )
    assert record is not None
    if record.has_chsi_photo or record.onsite_collected:
        raise LinkRefused(
            "您已参加过学校统一采集或学信网已有学历照片，无需再拍摄。",
            "You already have a CHSI photo or took part in the on-site collection: no new photo is needed.",
            mismatch=("already_collected",), record_id=record_id,
        )
    if code is not None:
        _check_code(session, record, code)
    other = session.scalar(
        select(AccountLink).where(AccountLink.roster_record_id == record.id, AccountLink.active.is_(True))
    )
    if other is not None and other.account_id != account.id:
        raise LinkRefused(
            f"该学籍信息已被其他微信号关联。已关联的学籍不允许更换微信号，如需帮助请联系客服 {HOTLINE}。",
            f"This record is already linked to another WeChat account; call support {HOTLINE}.",
            mismatch=("linked_elsewhere",), record_id=record_id,
        )
    mine = session.scalar(
        select(AccountLink).where(AccountLink.account_id == account.id, AccountLink.task_id == task.id,
                                  AccountLink.active.is_(True), AccountLink.roster_record_id != record.id)
    )
    if mine is not None:
        raise LinkRefused(
            "您的微信号已在该任务中关联了其他学籍，仅限本人操作。如关联有误且未支付，请先在首页解绑。",
            "Your WeChat account is already linked to another record in this task; unbind it first if unpaid.",
            mismatch=("other_record",), record_id=record_id,
        )
    return record


def _check_code(session: Session, record: RosterRecord, code: DecodedCode) -> None:
    if code.error is not None or code.code is None or code.code_hash is None:
        raise LinkRefused(
            "采集码无法识别，请从学信网重新下载图像采集码图片后上传（不要使用截图）。",
            "The collection code cannot be read; download it again from CHSI as an image (not a screenshot).",
            mismatch=("code_unreadable",), record_id=record.id,
        )
    parsed = code.code
    if parsed.student_number != record.student_number or parsed.id_last4.upper() != record.id_last4.upper() \
            or parsed.school_code != record.school.code:
        raise LinkRefused(
            "采集码与填写的学籍信息不一致，请确认下载的是本人、本学籍的采集码图片（不要使用截图）。",
            "The collection code does not match this record; download your own code as an image.",
            mismatch=("code",), record_id=record.id,
        )
    used_by = session.scalar(
        select(RosterRecord.id).where(RosterRecord.collection_code_hash == code.code_hash, RosterRecord.id != record.id)
    )
    if used_by is not None:
        raise LinkRefused(
            f"该采集码已被其他学籍使用，请联系客服 {HOTLINE}。",
            "This collection code is already used by another record; call support.",
            mismatch=("code_in_use",), record_id=record.id,
        )


_MOBILE = re.compile(r"1[3-9]\d{9}")
RECIPIENT = Field("收件人", "Recipient", 32)
PHONE = Field("手机号码", "Mobile number", 20)
ADDRESS = Field("邮寄地址", "Postal address", 200)
"""Recipient, phone and address are stored together in one 255-character column."""


@dataclass(frozen=True)
class MailingAddress:
    """Where printed photos go when the task mails them to the student (邮寄地址)."""

    recipient: str
    phone: str
    address: str

    def validated(self) -> MailingAddress:
        recipient = normalise_text(clean_text(self.recipient, RECIPIENT))
        phone = normalise_text(clean_text(self.phone, PHONE)).replace(" ", "").replace("-", "")
        address = normalise_text(clean_text(self.address, ADDRESS))
        if not 2 <= len(recipient) <= 32:
            raise InvalidInput("请填写收件人姓名。", "Enter the recipient's name.")
        if not _MOBILE.fullmatch(phone):
            raise InvalidInput("请填写 11 位手机号码。", "Enter an 11-digit mobile number.")
        if len(address) < 8 or not re.search(r"[省市区县旗路街道巷弄号楼栋室村镇组]", address):
            raise InvalidInput("请填写真实有效的详细邮寄地址（省市区、街道、门牌号）。",
                               "Enter a full postal address (province, city, street and number).")
        return MailingAddress(recipient, phone, address)

    @property
    def text(self) -> str:
        return f"{self.recipient} {self.phone} {self.address}"[:255]


@pure
def check_mailing_address(task: CollectionTask, address: MailingAddress | None) -> str:
    """The address to store: required and validated only when the task mails photos to the student."""
    if task.mailing_mode is not MailingMode.TO_STUDENT:
        return ""
    if address is None:
        raise InvalidInput("该任务需要邮寄照片，请填写真实有效的邮寄地址。",
                           "This task mails the photos: enter a real postal address.")
    return address.validated().text


@own_data
def link_account(
    session: Session,
    account: StudentAccount,
    task_id: int,
    record: RosterRecord,
    *,
    code: DecodedCode | None,
    mailing_address: MailingAddress | None = None,
) -> AccountLink:
    """Called after the student confirmed the masked record. ``code`` None = temporary shooting code."""
    task = open_task(session, task_id)
    _match(session, task, record.name, record.student_number, record.id_last4, code, account)
    address_text = check_mailing_address(task, mailing_address)
    existing = session.scalar(
        select(AccountLink).where(AccountLink.roster_record_id == record.id, AccountLink.active.is_(True))
    )
    if existing is not None:
        return existing
    if code is not None and code.code_hash:
        record.collection_code_hash = code.code_hash
        record.on_temporary_code = False
    else:
        record.on_temporary_code = True
    link = AccountLink(account_id=account.id, roster_record_id=record.id, task_id=task.id,
                       mailing_address=address_text)
    session.add(link)
    session.flush()
    audit.record(session, Actor.student(account.id, account.nickname), "link.create", "account_link", link.id,
                 school_id=record.school_id, roster_record_id=record.id, task_id=task.id,
                 temporary_code=record.on_temporary_code)
    return link


@allowed(Role.SUPPORT, Role.ADMIN, Role.REGISTRAR, students=True)
def link_collection_code(session: Session, actor: Actor, record: RosterRecord, code: DecodedCode) -> None:
    """上传采集码: the real code for a student who shot on a temporary shooting code; releases the hold."""
    if actor.is_staff:
        require_role(actor, Role.SUPPORT, Role.ADMIN, Role.REGISTRAR)
        require_school(actor, record.school_id)
    elif actor.is_student:
        own = session.scalar(select(AccountLink.id).where(
            AccountLink.account_id == actor.id, AccountLink.roster_record_id == record.id,
            AccountLink.active.is_(True)))
        if own is None:
            raise AccessDenied("只能为本人关联的学籍上传采集码。", "You can only add the code to your own record.")
        if not record.on_temporary_code:
            raise Conflict("您的学籍已关联学信网图像采集码，无需再次上传。",
                           "Your record already has its CHSI collection code.")
    _check_code(session, record, code)
    record.collection_code_hash = code.code_hash
    record.on_temporary_code = False
    for submission in session.scalars(select(Submission).where(Submission.roster_record_id == record.id)):
        submission.on_temporary_code = False
    audit.record(session, actor, "link.collection_code", "roster_record", record.id,
                 school_id=record.school_id, roster_record_id=record.id)


@own_data
def is_paid(session: Session, link: AccountLink) -> bool:
    return session.scalar(
        select(Payment.id).where(
            Payment.roster_record_id == link.roster_record_id,
            Payment.task_id == link.task_id,
            Payment.purpose == PaymentPurpose.TASK_FEE,
            Payment.status == PaymentStatus.PAID,
        )
    ) is not None


@allowed(Role.SUPPORT, Role.ADMIN, students=True)
def unbind(session: Session, actor: Actor, link_id: int, reason: str = "") -> AccountLink:
    reason = clean_text(reason, REASON)
    link = session.get(AccountLink, link_id)
    if link is None or not link.active:
        raise NotFound("该关联不存在或已解绑。", "No such active link.")
    if actor.is_student:
        if actor.id != link.account_id:
            raise AccessDenied("只能解绑本人的关联。", "You can only unbind your own link.")
        if is_paid(session, link):
            raise LinkRefused(
                f"已关联任务并支付费用的，不能自行解绑。如有特殊情况请联系客服 {HOTLINE}。",
                f"A linked and paid record cannot be unbound by the student; call support {HOTLINE}.",
            )
    else:
        require_role(actor, Role.SUPPORT, Role.ADMIN)
        if not reason:
            raise InvalidInput("请填写解绑原因。", "A reason is required to unbind an account.")
        in_exported_batch = session.scalar(
            select(BatchItem.id)
            .join(UploadBatch, BatchItem.batch_id == UploadBatch.id)
            .join(Submission, BatchItem.submission_id == Submission.id)
            .where(
                BatchItem.roster_record_id == link.roster_record_id,
                UploadBatch.status != BatchStatus.DRAFT,
                Submission.state.in_((SubmissionState.IN_BATCH, SubmissionState.ON_CHSI)),
            )
        )
        if in_exported_batch is not None:
            raise LinkRefused(
                "该学生的照片已审核通过并导出到学信网上传批次，不能解绑。",
                "The student's approved photo is in an exported CHSI batch; the account cannot be unbound.",
            )
    link.active = False
    link.unlinked_at = utcnow()
    link.unlinked_by = actor.name
    link.unlink_reason = reason
    record = link.roster_record
    audit.record(session, actor, "link.unbind", "account_link", link.id, school_id=record.school_id,
                 roster_record_id=record.id, reason=reason)
    session.flush()
    return link
