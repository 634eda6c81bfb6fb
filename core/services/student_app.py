"""The student application layer: every step of the mini-program journey, for a student actor.

The HTTP API (``api/``) and the student app call these and receive frozen view objects, never ORM
rows. Each function takes the student actor (the identity the bearer token or the app's sign-in
proved) and ids; ownership is checked here, the rules themselves stay in linking, payments,
submissions, quotas and policy. Every number a student reads comes from the effective policy and
every contact from ``core.domain.contacts``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.domain import quotas as quota_rules
from core.domain.access import Actor, internal, own_data, public, pure, students_only
from core.domain.contacts import CONTACTS, Contacts
from core.domain.enums import ConsentChannel, NotificationConsent, PaymentPurpose, PaymentStatus, SubmissionState
from core.domain.identity import mask_name
from core.domain.policy import Policy
from core.errors import AccessDenied, CaptureRefused, Conflict, InvalidInput, NotFound
from core.imaging import standard as standard
from core.imaging.collection_code import CollectionCode, DecodedCode, encode_demo_code
from core.imaging.errors import ImagingError
from core.imaging.loading import load_image
from core.imaging.types import Verdict as Verdict
from core.models import (
    AccountLink,
    ApiToken,
    Payment,
    School,
    StudentAccount,
    Submission,
    utcnow,
)
from core.services import (
    audit,
    linking,
    notifications,
    offline_shooting,
    payments,
    quotas,
    student_flow,
    submissions,
    wechat,
)
from core.services.linking import MailingAddress as MailingAddress
from core.services.policy import get_policy
from core.services.student_flow import NextSubmission as NextSubmission
from core.services.student_flow import SchoolHit as SchoolHit
from core.services.student_flow import Stage as Stage
from core.services.student_flow import StudentStatus as StudentStatus
from core.services.student_flow import TaskChoice as TaskChoice
from core.storage.photos import PhotoStore

MAX_NICKNAME = wechat.MAX_NICKNAME
"""The longest WeChat nickname kept (the sign-in form's limit); the views above are re-exported so
the student app needs no other service module."""

CHECK_LONG_SIDE = 640
"""An upload is decoded at least this large to prove it is a photo before a standardisation is
counted; the worker decodes it in full."""


# ---- sign-in and the notice --------------------------------------------------------------------


@dataclass(frozen=True)
class AccountView:
    id: int
    nickname: str
    notice_acknowledged: bool
    verification_locked_until: datetime | None


@dataclass(frozen=True)
class SignedIn:
    """A bearer token for the API: shown once, stored only as its SHA-256."""

    token: str
    expires_at: datetime
    account: AccountView


def _account_view(account: StudentAccount) -> AccountView:
    return AccountView(account.id, account.nickname, account.notice_acknowledged_at is not None,
                       account.verification_locked_until)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@public
def sign_in(session: Session, credential: str, nickname: str, *, token_minutes: int,
            now: datetime | None = None) -> SignedIn:
    """wx.login's ``code`` (and the nickname the student let us read) through the configured
    WeChat identity adapter; the account's expired tokens are dropped on the way."""
    moment = now or utcnow()
    account = wechat.sign_in(session, nickname, credential)
    token = secrets.token_urlsafe(32)
    expires_at = _store_token(session, account.id, _token_hash(token), moment, timedelta(minutes=token_minutes))
    return SignedIn(token, expires_at, _account_view(account))


def _store_token(session: Session, account_id: int, hashed: str, moment: datetime, lifetime: timedelta) -> datetime:
    """Keeps a new token's hash (never the token) until it expires; the account's expired ones go."""
    session.execute(delete(ApiToken).where(ApiToken.account_id == account_id, ApiToken.expires_at <= moment))
    session.add(ApiToken(token_hash=hashed, account_id=account_id, created_at=moment, expires_at=moment + lifetime))
    session.flush()
    return moment + lifetime


@public
def sign_in_app(session: Session, nickname: str, credential: str = "") -> AccountView:
    """The student app's sign-in: the Streamlit server session holds the account id, so no bearer
    token is issued."""
    return _account_view(wechat.sign_in(session, nickname, credential))


@pure
def development_identity() -> bool:
    """Whether the development WeChat adapter is installed (the same nickname is the same person)."""
    return isinstance(wechat.provider, wechat.DevelopmentIdentityProvider)


@public
def authenticate(session: Session, token: str, now: datetime | None = None) -> Actor | None:
    """The student a bearer token belongs to, or None when it is unknown or expired."""
    if not token or len(token) > 128:
        return None
    found = session.execute(
        select(StudentAccount.id, StudentAccount.nickname).join(ApiToken, ApiToken.account_id == StudentAccount.id)
        .where(ApiToken.token_hash == _token_hash(token), ApiToken.expires_at > (now or utcnow()))
    ).first()  # one round trip: every request of every student comes through here
    return Actor.student(found.id, found.nickname) if found else None


@students_only
def sign_out(session: Session, actor: Actor, token: str) -> None:
    session.execute(delete(ApiToken).where(ApiToken.token_hash == _token_hash(token),
                                           ApiToken.account_id == actor.id))


HANDOFF_SECONDS = 60
"""How long the code that carries a web-app sign-in to the cookie route stays valid."""


@dataclass(frozen=True)
class WebCookie:
    """The token the student web app's cookie route puts in an HttpOnly cookie, and its expiry."""

    token: str
    expires_at: datetime
    max_age_seconds: int


def _handoff_hash(code: str) -> str:
    return _token_hash("handoff:" + code)  # never a bearer token's hash: the code itself signs no one in


@students_only
def start_web_session(session: Session, actor: Actor, *, now: datetime | None = None) -> str:
    """Makes the web app's sign-in outlive its tab (a reload, WeChat reopening the page): a one-time
    code, valid for a minute, that the page hands to the cookie route (``student/server.py``) in the
    background, which exchanges it for a token in an HttpOnly cookie."""
    moment = now or utcnow()
    account = _account(session, actor)
    code = secrets.token_urlsafe(32)
    _store_token(session, account.id, _handoff_hash(code), moment, timedelta(seconds=HANDOFF_SECONDS))
    return code


@public
def redeem_web_handoff(session: Session, code: str, *, token_minutes: int,
                       now: datetime | None = None) -> WebCookie | None:
    """The cookie route's half: a fresh token for the code's account, once, within its minute; None
    for an unknown, used or late code. The token is a bearer token like the API's (``authenticate``)."""
    if not code or len(code) > 128:
        return None
    moment = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _handoff_hash(code)).with_for_update())
    if row is None:
        return None
    session.delete(row)
    if row.expires_at < moment:
        session.flush()
        return None
    token = secrets.token_urlsafe(32)
    expires_at = _store_token(session, row.account_id, _token_hash(token), moment, timedelta(minutes=token_minutes))
    return WebCookie(token, expires_at, token_minutes * 60)


@own_data
def end_web_session(session: Session, token: str) -> None:
    """The web app's sign-out, from the cookie route: the cookie's token signs no one in afterwards."""
    if token and len(token) <= 128:
        session.execute(delete(ApiToken).where(ApiToken.token_hash == _token_hash(token)))


def _account(session: Session, actor: Actor) -> StudentAccount:
    account = session.get(StudentAccount, actor.id) if actor.id is not None else None
    if account is None:
        raise AccessDenied("请先登录。", "Sign in first.")
    return account


@students_only
def account(session: Session, actor: Actor) -> AccountView:
    return _account_view(_account(session, actor))


@students_only
def identity_locked_until(session: Session, actor: Actor, now: datetime | None = None) -> datetime | None:
    """When the identity check opens again after too many failures, or None when it is open."""
    until = _account(session, actor).verification_locked_until
    return until if until is not None and until > (now or utcnow()) else None


@students_only
def unread_count(session: Session, actor: Actor) -> int:
    return notifications.unread_count(session, _account(session, actor).id)


@dataclass(frozen=True)
class Rules:
    """The policy numbers a student is told, as they are in force now, worded, and whom to call."""

    daily_standardisations: int
    free_submissions: int
    free_replacements: int
    extra_service_price_fen: int
    verification_attempts: int
    verification_lock_hours: int
    chsi_upload_days: str
    """How long an approved photo takes to reach CHSI (working days, as the operator states it)."""
    allowances_zh: str
    allowances_en: str
    contacts: Contacts


CHSI_UPLOAD_DAYS = "7-10"
"""Seed guide: approved photos are linked, checked and uploaded to CHSI within 7-10 working days."""


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:.2f}"


def _rules(policy: Policy) -> Rules:
    price = _yuan(policy.extra_service_price_fen)
    return Rules(
        policy.daily_standardisations, policy.free_submissions, policy.free_replacements,
        policy.extra_service_price_fen, policy.verification_attempts, policy.verification_lock_hours,
        chsi_upload_days=CHSI_UPLOAD_DAYS,
        allowances_zh=(f"每日限 {policy.daily_standardisations} 次照片标准化；上传后提供 {policy.free_submissions} 次"
                       f"免费提交审核；人工审核前提供 {policy.free_replacements} 次免费更换照片，通过审核后不允许更换；"
                       f"后续服务 {price}/次。身份核验失败 {policy.verification_attempts} 次将锁定 "
                       f"{policy.verification_lock_hours} 小时。"),
        allowances_en=(f"{policy.daily_standardisations} standardisations a day; {policy.free_submissions} free "
                       f"review submissions; {policy.free_replacements} free replacement(s) before human review, "
                       f"none after approval; then {price} each. {policy.verification_attempts} failed identity "
                       f"checks lock the check for {policy.verification_lock_hours} hours."),
        contacts=CONTACTS,
    )


@public
def rules(session: Session) -> Rules:
    return _rules(get_policy(session))


NOTICE_ZH = (
    "学信网最新采集要求：线上采集只能手机实时拍摄，不能使用相册照片。不能参加现场拍照的新生、毕业生，必须使用手机原生相机"
    "实时采集，不能使用美颜修图类软件，不能从手机相册中选择预先准备好的图片。禁止使用微信电脑客户端（含平板电脑）操作，"
    "不得翻拍照片或屏幕。可以让身边的朋友使用后置摄像头协助您完成拍摄。不符合采集要求的照片会在人工审核中被驳回。"
)
NOTICE_EN = (
    "CHSI rule: online collection is live phone capture only, no photos from the album, no beauty or retouching "
    "apps. Do not use desktop or tablet WeChat, and do not re-photograph a print or a screen. Ask a friend to "
    "shoot you with the rear camera. Photos that do not meet the standard are rejected in review."
)


@dataclass(frozen=True)
class Notice:
    """第四步 重要通知, with the allowances in force."""

    text_zh: str
    text_en: str
    rules: Rules
    acknowledged: bool


@students_only
def notice(session: Session, actor: Actor) -> Notice:
    return Notice(NOTICE_ZH, NOTICE_EN, rules(session), _account(session, actor).notice_acknowledged_at is not None)


@students_only
def acknowledge_notice(session: Session, actor: Actor) -> AccountView:
    student = _account(session, actor)
    linking.acknowledge_notice(session, student)
    return _account_view(student)


# ---- school, task, identity check and link -----------------------------------------------------


@public
def search_schools(session: Session, keyword: str, *, today: date | None = None) -> list[SchoolHit]:
    return student_flow.search_schools(session, keyword, today=today)


@public
def open_tasks(session: Session, school_id: int, *, today: date | None = None) -> list[TaskChoice]:
    return student_flow.open_tasks(session, school_id, today=today)


@public
def task(session: Session, task_id: int) -> TaskChoice:
    return student_flow.task_choice(session, task_id)


@pure
def read_code(image: bytes) -> DecodedCode:
    """The collection code in the image, read for the student to see before the check (nothing is
    compared yet)."""
    return student_flow.decode_code_image(image)


@pure
def demo_code_png(school_code: str, student_number: str, name: str, id_last4: str) -> tuple[str, bytes]:
    """Development only, a stand-in for CHSI: the demo-format code image of these details (nothing is
    looked up) and its file name, so the journey can be tried without a real CHSI account."""
    from core.imaging.code_image import render_code_png  # the QR writer loads only where it is used

    try:
        code = CollectionCode(school_code.strip(), student_number.strip(), mask_name(name),
                              id_last4.strip().upper())
    except ValueError as error:
        raise InvalidInput("格式不对：院校代码 5 位数字，学号为字母数字，证件号后4位为 3 位数字加数字或 X。",
                           "Format: 5-digit school code, letters/digits student number, last 4 = 3 digits + digit/X.") from error
    return f"{code.student_number}.png", render_code_png(encode_demo_code(code))


@students_only
def linked_task(session: Session, actor: Actor) -> TaskChoice | None:
    link = student_flow.active_link(session, actor.id) if actor.id is not None else None
    return student_flow.task_choice(session, link.task_id) if link else None


@dataclass(frozen=True)
class MakeupPoint:
    name: str
    address: str
    hours: str


@public
def makeup_points(session: Session, school_id: int) -> list[MakeupPoint]:
    """补拍点查询: the school's offline shooting points (an empty list when it has none)."""
    school = session.get(School, school_id)
    if school is None or not school.active:
        raise NotFound("学校不存在。", "No such school.")
    return [MakeupPoint(str(p.get("name", "")), str(p.get("address", "")), str(p.get("hours", "")))
            for p in school.makeup_points or [] if isinstance(p, dict)]


@dataclass(frozen=True)
class SchoolPoints:
    school_id: int
    school_name: str
    points: list[MakeupPoint]


@students_only
def own_makeup_points(session: Session, actor: Actor) -> SchoolPoints | None:
    """The make-up points of the school the student is linked to (None before linking)."""
    link = student_flow.active_link(session, actor.id) if actor.id is not None else None
    if link is None:
        return None
    school = link.task.school
    return SchoolPoints(school.id, school.name, makeup_points(session, school.id))


@dataclass(frozen=True)
class IdentityCheck:
    """The outcome of an identity check (or of linking, which checks again): the masked record to
    confirm, or the refusal with how many tries are left before the check locks. A refusal is
    returned, not raised, so the failure count it adds is kept."""

    matched: bool
    task_id: int
    link_id: int | None = None
    masked_name: str = ""
    student_number: str = ""
    id_last4: str = ""
    school_name: str = ""
    school_code: str = ""
    category_zh: str = ""
    temporary_code: bool = False
    error_code: str | None = None
    message_zh: str | None = None
    message_en: str | None = None
    attempts_left: int | None = None
    locked_until: datetime | None = None


def _decoded(code_image: bytes | None, temporary: bool) -> DecodedCode | None:
    if temporary:
        return None
    if not code_image:
        raise InvalidInput("请上传或扫描学信网图像采集码。没有采集码的同学可使用临时拍摄码。",
                           "Upload or scan your CHSI collection code; without one, use a temporary shooting code.")
    decoded = student_flow.decode_code_image(code_image)
    if decoded.error is not None:  # nothing was compared: not a failed check
        raise InvalidInput(decoded.error.message_zh, decoded.error.message_en)
    return decoded


def _check(session: Session, actor: Actor, task_id: int, name: str, student_number: str, id_last4: str,
           code: DecodedCode | None, temporary: bool) -> tuple[IdentityCheck, linking.VerificationOutcome]:
    student = _account(session, actor)
    outcome = linking.verify_identity(session, student, task_id, name=name, student_number=student_number,
                                      id_last4=id_last4, code=code)
    if outcome.error is not None or outcome.record is None:
        error = outcome.error
        return IdentityCheck(
            matched=False, task_id=task_id, temporary_code=temporary,
            error_code=error.code if error else "link_refused",
            message_zh=error.message_zh if error else None, message_en=error.message_en if error else None,
            attempts_left=outcome.attempts_left, locked_until=student.verification_locked_until,
        ), outcome
    record = outcome.record
    return IdentityCheck(
        matched=True, task_id=task_id, masked_name=mask_name(record.name), student_number=record.student_number,
        id_last4=record.id_last4, school_name=record.school.name, school_code=record.school.code,
        category_zh=record.category.label_zh, temporary_code=temporary,
    ), outcome


@students_only
def check_identity(session: Session, actor: Actor, open_task_id: int, name: str, student_number: str,
                   id_last4: str, *, code_image: bytes | None = None, temporary: bool = False) -> IdentityCheck:
    """第六步 身份核验: name, student number, ID last 4 and the CHSI code image (or a temporary
    shooting code); failures count towards the policy's lock. Open to any student for any open
    task (``open_task_id``), so it names no object another student owns."""
    view, _ = _check(session, actor, open_task_id, name, student_number, id_last4,
                     _decoded(code_image, temporary), temporary)
    return view


@students_only
def link_task(session: Session, actor: Actor, open_task_id: int, name: str, student_number: str, id_last4: str,
              *, code_image: bytes | None = None, temporary: bool = False,
              mailing_address: MailingAddress | None = None) -> IdentityCheck:
    """第七步 关联任务, after the student confirmed the masked record: the same details are checked
    again (the API keeps no state between calls), then the account is linked."""
    code = _decoded(code_image, temporary)
    view, outcome = _check(session, actor, open_task_id, name, student_number, id_last4, code, temporary)
    if outcome.record is None:
        return view
    link = linking.link_account(session, _account(session, actor), open_task_id, outcome.record, code=code,
                                mailing_address=mailing_address)
    return IdentityCheck(**{**view.__dict__, "link_id": link.id})


def _active_link(session: Session, actor: Actor) -> AccountLink:
    link = student_flow.active_link(session, actor.id) if actor.id is not None else None
    if link is None:
        raise NotFound("请先关联采集任务。", "Link your account to a collection task first.")
    return link


@students_only
def status(session: Session, actor: Actor) -> StudentStatus | None:
    """第十四步 查看采集结果 (None before any task is linked)."""
    link = student_flow.active_link(session, actor.id) if actor.id is not None else None
    return student_flow.status(session, link) if link else None


@students_only
def unbind(session: Session, actor: Actor) -> None:
    """帐号解绑: only before paying (the rule is in ``linking.unbind``)."""
    linking.unbind(session, actor, _active_link(session, actor).id)


# ---- payment -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderView:
    order_no: str
    purpose: PaymentPurpose
    amount_fen: int
    status: PaymentStatus
    paid_at: datetime | None
    failure_reason: str | None
    description_zh: str


_PURPOSE_ZH = {PaymentPurpose.TASK_FEE: "图像采集服务费", PaymentPurpose.EXTRA_SUBMISSION: "增加 1 次提交审核",
               PaymentPurpose.EXTRA_REPLACEMENT: "增加 1 次更换照片", PaymentPurpose.OFFLINE_SHOOTING: "线下补拍"}


def _order_view(payment: Payment) -> OrderView:
    return OrderView(payment.order_no, payment.purpose, payment.amount_fen, payment.status, payment.paid_at,
                     payment.failure_reason, _PURPOSE_ZH[payment.purpose])


@students_only
def open_order(session: Session, actor: Actor, purpose: PaymentPurpose) -> OrderView:
    """第八步 支付 (or a 1-yuan extra when the free allowance is used): the open order for this
    intent, reused on retry, so the same order number is paid at most once."""
    link = _active_link(session, actor)
    if purpose is PaymentPurpose.TASK_FEE:
        if linking.is_paid(session, link):
            raise Conflict("采集服务费已支付，无需重复支付。", "The collection fee is already paid.")
    else:
        summary = student_flow.status(session, link)
        if summary.next_submission.purchase is not purpose:
            raise Conflict("当前无需购买该服务：免费次数尚未用完或照片已通过审核。",
                           "This service is not needed now: free attempts remain or the photo is approved.")
    return _order_view(payments.open_order(session, actor, link, purpose))


@pure
def development_payments() -> bool:
    """Whether the development payment adapter is installed (it can be asked to fail)."""
    return isinstance(payments.provider, payments.DevelopmentProvider)


def _provider(simulate_failure: bool) -> payments.PaymentProvider:
    if simulate_failure and development_payments():
        return payments.DevelopmentProvider(fail=True)
    return payments.provider


@students_only
def pay(session: Session, actor: Actor, purpose: PaymentPurpose, *, simulate_failure: bool = False) -> OrderView:
    """The student app's 微信支付: the open order for this intent charged through the configured
    adapter; a retry pays the same order, never twice. ``simulate_failure`` only works with the
    development adapter."""
    opened = open_order(session, actor, purpose)
    payment = session.scalar(select(Payment).where(Payment.order_no == opened.order_no))
    assert payment is not None
    return _order_view(payments.pay(session, actor, payment, _provider(simulate_failure)))


@students_only
def offline_offer(session: Session, actor: Actor) -> offline_shooting.Offer | None:
    """线下拍摄交费: the on-site shooting price and the student's order (None before linking)."""
    link = student_flow.active_link(session, actor.id) if actor.id is not None else None
    return offline_shooting.offer(session, actor, link.id) if link else None


@students_only
def buy_offline(session: Session, actor: Actor, *, simulate_failure: bool = False) -> OrderView:
    return _order_view(offline_shooting.buy(session, actor, _active_link(session, actor).id,
                                            _provider(simulate_failure)))


def _own_order(session: Session, actor: Actor, order_no: str) -> Payment:
    payment = session.scalar(select(Payment).where(Payment.order_no == order_no))
    if payment is None:
        raise NotFound("订单不存在。", "No such order.")
    if actor.kind == "student" and payment.account_id != actor.id:
        raise AccessDenied("只能查看本人的订单。", "You can only see your own orders.")
    return payment


@students_only
def order(session: Session, actor: Actor, order_no: str) -> OrderView:
    return _order_view(_own_order(session, actor, order_no))


@dataclass(frozen=True)
class _Confirmed:
    """The payment adapter's answer when WeChat Pay already told us (the notify callback)."""

    transaction_id: str

    def charge(self, order_no: str, amount_fen: int, description: str) -> payments.ProviderResult:
        return payments.ProviderResult(True, provider_ref=self.transaction_id)


@internal
def payment_notified(session: Session, order_no: str, transaction_id: str, trade_state: str,
                     amount_fen: int) -> OrderView:
    """WeChat Pay's notification, whose signature the caller verified: applied at most once (the
    order row is locked and re-read in ``payments.pay``); an amount that differs is refused."""
    payment = session.scalar(select(Payment).where(Payment.order_no == order_no).with_for_update())
    if payment is None:
        raise NotFound("订单不存在。", "No such order.")
    if amount_fen != payment.amount_fen:
        raise InvalidInput("支付金额与订单不符。", "The amount paid does not match the order.")
    system = Actor.system("wechatpay notify")
    if trade_state == "SUCCESS":
        payments.pay(session, system, payment, _Confirmed(transaction_id))
    elif payment.status is PaymentStatus.PENDING and trade_state in ("CLOSED", "PAYERROR", "REVOKED"):
        payment.status = PaymentStatus.FAILED
        payment.failure_reason = trade_state
        session.flush()
    return _order_view(payment)


# ---- capture, standardisation, submission ------------------------------------------------------


class CaptureSource(str, Enum):
    """Where the mini-program's ``wx.chooseMedia`` took the photo from (its ``sourceType``)."""

    CAMERA = "camera"
    ALBUM = "album"


class Camera(str, Enum):
    BACK = "back"
    FRONT = "front"


@pure
def check_capture_source(task: TaskChoice, source: CaptureSource, camera: Camera) -> None:
    """The live-capture rules of the task: no album photo unless it allows one, no selfie camera
    where it forbids it."""
    if source is CaptureSource.ALBUM and not task.album_allowed:
        raise CaptureRefused("本采集任务只能使用手机实时拍摄，不能使用相册照片。",
                             "This task accepts live captures only, not photos from the album.")
    if camera is Camera.FRONT and not task.front_camera_allowed:
        raise CaptureRefused("本采集任务禁用前置摄像头（自拍），请他人使用后置摄像头为您拍摄。",
                             "This task forbids the front (selfie) camera: have someone shoot you with the rear one.")


@dataclass(frozen=True)
class CheckView:
    code: str
    passed: bool
    critical: bool
    message_zh: str
    message_en: str


class CaptureStatus(str, Enum):
    PROCESSING = "processing"
    READY = "ready"
    REFUSED = "refused"
    DISCARDED = "discarded"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class CaptureView:
    """A capture as the client polls it: still standardising, ready to confirm (with the quality
    report), refused with the reason, or already submitted (``state`` says how far it got)."""

    id: int
    status: CaptureStatus
    state: SubmissionState
    error_zh: str | None
    error_en: str | None
    quality_ok: bool | None
    face_verdict: Verdict | None
    checks: tuple[CheckView, ...]
    standardisations_left: int
    daily_standardisations: int


def _own_submission(session: Session, actor: Actor, submission_id: int) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("照片不存在。", "No such photo.")
    if actor.kind == "student" and submission.account_id != actor.id:
        raise AccessDenied("只能查看本人的照片。", "You can only see your own photos.")
    return submission


def _capture_view(session: Session, submission: Submission) -> CaptureView:
    policy = get_policy(session)
    usage = quotas.usage(session, submission.roster_record_id)
    error_zh = error_en = None
    if submission.state is SubmissionState.REPLACED and submission.submitted_at is None:
        kind = CaptureStatus.DISCARDED
    elif submission.state in submissions.PENDING_STATES:
        progress = student_flow.capture_progress(session, submission)
        kind = CaptureStatus.READY if progress.ready else (
            CaptureStatus.PROCESSING if progress.waiting else CaptureStatus.REFUSED)
        error_zh, error_en = progress.error_zh, progress.error_en
    else:
        kind = CaptureStatus.SUBMITTED
    checks = tuple(CheckView(c.code, c.passed, c.critical, c.message_zh, c.message_en)
                   for c in student_flow.quality_checks(submission))
    return CaptureView(
        id=submission.id, status=kind, state=submission.state, error_zh=error_zh, error_en=error_en,
        quality_ok=submission.quality_ok, face_verdict=Verdict(submission.face_verdict) if submission.face_verdict else None,
        checks=checks,
        standardisations_left=quota_rules.standardisations_left(usage, policy),
        daily_standardisations=policy.daily_standardisations,
    )


@students_only
def upload_capture(session: Session, actor: Actor, raw: bytes, store: PhotoStore, *,
                   source: CaptureSource = CaptureSource.CAMERA, camera: Camera = Camera.BACK) -> CaptureView:
    """第十一步 制作: a live capture goes to the worker (one of today's standardisations); the client
    polls :func:`capture` by its id. A file that is no photo is refused before anything counts."""
    link = _active_link(session, actor)
    check_capture_source(student_flow.task_choice(session, link.task_id), source, camera)
    try:
        load_image(raw, min_long_side=CHECK_LONG_SIDE)
    except ImagingError as error:
        raise InvalidInput(error.message_zh, error.message_en) from error
    submission = submissions.request_standardisation(session, actor, link.id, raw, store)
    return _capture_view(session, submission)


@students_only
def capture(session: Session, actor: Actor, submission_id: int) -> CaptureView:
    return _capture_view(session, _own_submission(session, actor, submission_id))


@students_only
def current_capture(session: Session, actor: Actor) -> CaptureView | None:
    """The capture in progress (standardising, ready to confirm or refused), if any."""
    pending = student_flow.pending_capture(session, _active_link(session, actor))
    return _capture_view(session, pending) if pending else None


@students_only
def capture_photo(session: Session, actor: Actor, submission_id: int, store: PhotoStore) -> bytes:
    """The standardised photo (480×640 JPEG) the student confirms before submitting."""
    submission = _own_submission(session, actor, submission_id)
    if submission.standardised_sha is None:
        raise NotFound("标准照尚未制作完成。", "The standardised photo is not ready.")
    return store.get(submission.standardised_sha)


@students_only
def discard_capture(session: Session, actor: Actor, submission_id: int) -> CaptureView:
    """重拍 (the standardisation stays used)."""
    _own_submission(session, actor, submission_id)
    return _capture_view(session, submissions.discard_capture(session, actor, submission_id))


@students_only
def submit_capture(session: Session, actor: Actor, submission_id: int) -> CaptureView:
    """第十三步 二次确认后提交: uses a submission (or the replacement) per the policy; a photo below
    the face threshold is blocked at once without using one."""
    _own_submission(session, actor, submission_id)
    return _capture_view(session, submissions.submit(session, actor, submission_id))


@dataclass(frozen=True)
class ApprovedPhoto:
    file_name: str
    jpeg: bytes


@students_only
def approved_photo(session: Session, actor: Actor, store: PhotoStore) -> ApprovedPhoto:
    """下载审核通过的照片."""
    summary = student_flow.status(session, _active_link(session, actor))
    if summary.approved_photo_sha is None:
        raise NotFound("照片尚未通过审核，暂无可下载的照片。", "No approved photo to download yet.")
    return ApprovedPhoto(f"{summary.student_number}.jpg", store.get(summary.approved_photo_sha))


# ---- inbox, collection code later --------------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    id: int
    kind: str
    title: str
    body: str
    created_at: datetime
    read: bool


@students_only
def inbox(session: Session, actor: Actor) -> list[MessageView]:
    """消息通知 (the stand-in for WeChat subscription messages), newest first."""
    return [MessageView(n.id, n.kind, n.title, n.body, n.created_at, n.read_at is not None)
            for n in notifications.inbox(session, _account(session, actor).id)]


@students_only
def mark_messages_read(session: Session, actor: Actor) -> None:
    notifications.mark_read(session, _account(session, actor).id)


@dataclass(frozen=True)
class ConsentView:
    """微信通知授权 as the student answered it: ``consent`` None = not asked yet."""

    consent: NotificationConsent | None
    answered_at: datetime | None
    channel: ConsentChannel | None

    @property
    def granted(self) -> bool:
        return self.consent is NotificationConsent.GRANTED


CONSENT_TEXT_ZH = "允许微信通知授权后，您将可以收到人工审核结果、上网（上传学信网）结果等微信推送的通知信息。"
CONSENT_TEXT_EN = ("Allow WeChat notifications to receive the review result and the CHSI upload result as "
                   "WeChat messages.")
"""The seed guide's wording of the question (after 第十三步, before 查看采集结果)."""


def _consent_view(account: StudentAccount) -> ConsentView:
    return ConsentView(account.notification_consent, account.notification_consent_at,
                       account.notification_consent_channel)


@students_only
def notification_consent(session: Session, actor: Actor) -> ConsentView:
    return _consent_view(_account(session, actor))


@students_only
def set_notification_consent(session: Session, actor: Actor, consent: NotificationConsent,
                             channel: ConsentChannel) -> ConsentView:
    """The student allows or declines WeChat messages (the inbox keeps every notice either way); a
    change is audited under the student's record when linked."""
    student = _account(session, actor)
    consent, channel = NotificationConsent(consent), ConsentChannel(channel)
    if notifications.set_consent(session, student, consent, channel):
        link = student_flow.active_link(session, student.id)
        record = link.roster_record if link else None
        audit.record(session, actor, f"notification.consent_{consent.value}", "student_account", student.id,
                     school_id=record.school_id if record else None, roster_record_id=record.id if record else None,
                     consent=consent, channel=channel)
        session.flush()
    return _consent_view(student)


@students_only
def upload_collection_code(session: Session, actor: Actor, code_image: bytes) -> StudentStatus:
    """上传采集码: the real CHSI code after shooting on a temporary shooting code."""
    link = _active_link(session, actor)
    code = _decoded(code_image, temporary=False)
    assert code is not None
    linking.link_collection_code(session, actor, link.roster_record, code)
    session.flush()
    return student_flow.status(session, link)
