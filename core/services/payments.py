"""Payments for the task fee and the 1-yuan extra services, behind a payment adapter.

An order number is made once per intent and reused on retry, so paying twice for the same thing
is impossible; the adapter's confirmation is applied at most once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import get_or_raise
from core.domain.access import SUPPORT_ROLES, Actor, allowed, require_own, require_role, students_only
from core.domain.enums import PaymentPurpose, PaymentStatus, QuotaEntryType, QuotaKind, Role
from core.domain.text import REASON, clean_text
from core.errors import Conflict, InvalidInput
from core.models import AccountLink, Payment, utcnow
from core.services import audit, quotas
from core.services._views import view_of
from core.services.policy import get_policy


@dataclass(frozen=True)
class ProviderResult:
    paid: bool
    provider_ref: str | None = None
    failure_reason: str | None = None


class PaymentProvider(Protocol):
    """Charges one order. Production adapter (not built here): WeChat Pay API v3, JSAPI/mini-program.

    1. ``POST /v3/pay/transactions/jsapi`` with ``out_trade_no=order_no``, ``amount.total=amount_fen``
       (CNY fen), ``description`` and ``payer.openid`` → ``prepay_id``;
    2. the mini-program calls ``wx.requestPayment`` with the signed ``prepay_id`` package;
    3. WeChat's notify callback (signature verified, resource decrypted with AEAD_AES_256_GCM) or
       ``GET /v3/pay/transactions/out-trade-no/{order_no}`` says SUCCESS / CLOSED / PAYERROR, and
       ``charge`` returns that as :class:`ProviderResult` (``provider_ref`` = ``transaction_id``).

    Because the same ``order_no`` is reused for a retry and :func:`pay` re-reads the order under a
    row lock, a callback that arrives twice or a student who taps twice is charged once."""

    def charge(self, order_no: str, amount_fen: int, description: str) -> ProviderResult: ...


class DevelopmentProvider:
    """Completes, or fails when asked to, without any money moving."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def charge(self, order_no: str, amount_fen: int, description: str) -> ProviderResult:
        if self.fail:
            return ProviderResult(False, failure_reason="模拟支付失败 (development provider)")
        return ProviderResult(True, provider_ref=f"DEV-{order_no}")


provider: PaymentProvider = DevelopmentProvider()
"""The configured adapter; the student app charges through it."""


PURPOSE_QUOTA = {
    PaymentPurpose.EXTRA_SUBMISSION: QuotaKind.SUBMISSION,
    PaymentPurpose.EXTRA_REPLACEMENT: QuotaKind.REPLACEMENT,
}


ONCE_ONLY = (PaymentPurpose.TASK_FEE, PaymentPurpose.OFFLINE_SHOOTING)
"""Bought at most once per student and task: asking again finds the paid order."""


def _price_fen(session: Session, link: AccountLink, purpose: PaymentPurpose) -> int:
    if purpose is PaymentPurpose.TASK_FEE:
        return link.task.price_fen
    if purpose is PaymentPurpose.OFFLINE_SHOOTING:
        if link.task.offline_price_fen is None:
            raise Conflict("该采集任务未开通线下拍摄服务。", "This task offers no on-site shooting.")
        return link.task.offline_price_fen
    return get_policy(session).extra_service_price_fen


def _own(actor: Actor, account_id: int) -> None:
    require_own(actor, account_id, "只能为本人的任务支付。", "You can only pay for your own task.")


@students_only
def open_order(session: Session, actor: Actor, link: AccountLink, purpose: PaymentPurpose) -> Payment:
    """The unfinished (pending or failed) order for this intent, reused if one exists, so a retry
    pays the same order number (idempotent on retry). The link row is locked first, so two requests
    arriving together (a double tap, two phones on one account) find one order between them instead
    of opening and paying one each."""
    _own(actor, link.account_id)
    session.refresh(link, with_for_update=True)
    if purpose in ONCE_ONLY:
        paid = session.scalar(select(Payment).where(
            Payment.roster_record_id == link.roster_record_id, Payment.task_id == link.task_id,
            Payment.purpose == purpose, Payment.status == PaymentStatus.PAID))
        if paid is not None:
            return paid
    unfinished = session.scalars(select(Payment).where(
        Payment.roster_record_id == link.roster_record_id, Payment.task_id == link.task_id,
        Payment.purpose == purpose, Payment.status.in_((PaymentStatus.PENDING, PaymentStatus.FAILED)))
        .order_by(Payment.id.desc())).first()
    if unfinished is not None:
        return unfinished
    amount = _price_fen(session, link, purpose)
    payment = Payment(
        order_no=f"WB{utcnow():%Y%m%d}{uuid.uuid4().hex[:12].upper()}",
        account_id=link.account_id, roster_record_id=link.roster_record_id, task_id=link.task_id,
        purpose=purpose, amount_fen=amount,
    )
    session.add(payment)
    session.flush()
    return payment


@students_only
def pay(session: Session, actor: Actor, payment: Payment, provider: PaymentProvider) -> Payment:
    """Charges once: the order row is locked and re-read, so a double tap or a retry after a
    dropped answer finds it paid instead of charging again."""
    _own(actor, payment.account_id)
    session.flush()
    session.refresh(payment, with_for_update=True)
    if payment.status is PaymentStatus.PAID:
        return payment
    if payment.status is PaymentStatus.REFUNDED:
        raise Conflict("该订单已退款。", "This order was refunded.")
    result = provider.charge(payment.order_no, payment.amount_fen, payment.purpose.value)
    if not result.paid:
        payment.status = PaymentStatus.FAILED
        payment.failure_reason = result.failure_reason
        session.flush()
        return payment
    payment.status = PaymentStatus.PAID
    payment.failure_reason = None
    payment.provider_ref = result.provider_ref
    payment.paid_at = utcnow()
    if payment.purpose in PURPOSE_QUOTA:
        quotas.add_entry(session, payment.roster_record_id, PURPOSE_QUOTA[payment.purpose], QuotaEntryType.PURCHASE,
                         actor=actor, payment_id=payment.id)
    audit.record(session, actor, "payment.paid", "payment", payment.id, roster_record_id=payment.roster_record_id,
                 amount_fen=payment.amount_fen, purpose=payment.purpose)
    session.flush()
    return payment


@students_only
def retry_failed(session: Session, actor: Actor, payment: Payment, provider: PaymentProvider) -> Payment:
    """A failed charge is retried on the same order number."""
    _own(actor, payment.account_id)
    if payment.status is PaymentStatus.FAILED:
        payment.status = PaymentStatus.PENDING
        payment.failure_reason = None
    return pay(session, actor, payment, provider)


@dataclass(frozen=True)
class PaymentView:
    """An order as staff screens show it."""

    id: int
    order_no: str
    purpose: PaymentPurpose
    amount_fen: int
    status: PaymentStatus
    created_at: datetime
    paid_at: datetime | None
    refunded_at: datetime | None
    failure_reason: str | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentView:
        return view_of(cls, payment)


@allowed(*SUPPORT_ROLES)
def mark_refunded(session: Session, actor: Actor, payment_id: int, reason: str) -> PaymentView:
    require_role(actor, Role.SUPPORT, Role.ADMIN)
    payment = get_or_raise(session, Payment, payment_id, "订单不存在。", "No such payment.")
    if payment.status is not PaymentStatus.PAID:
        raise Conflict("只有已支付的订单可以退款。", "Only paid orders can be refunded.")
    reason = clean_text(reason, REASON)
    if not reason:
        raise InvalidInput("请填写退款原因。", "A reason is required.")
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = utcnow()
    audit.record(session, actor, "payment.refund", "payment", payment.id,
                 roster_record_id=payment.roster_record_id, reason=reason, amount_fen=payment.amount_fen)
    session.flush()
    return PaymentView.of(payment)
