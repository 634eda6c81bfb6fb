"""其他服务 · 线下拍摄交费: students photographed at the school's on-site session pay online first.

- The admin sets the price per task, in 元 (no price: the task offers no on-site shooting).
- The student buys it from 其他服务, once, through the same payment adapter and order-number
  idempotence as the task fee (``core.services.payments``); a second purchase is refused.
- The school's on-site team (registrar of that school, support, admin) sees who has paid, by
  department and class, and exports it through ``core.export``.
- Support (or an admin) refunds a purchase with a reason; the refund is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import export
from core.domain.access import (
    SCHOOL_DATA_ROLES,
    SUPPORT_ROLES,
    Actor,
    allowed,
    pure,
    require_own,
    school_scope,
    students_only,
)
from core.domain.enums import PaymentPurpose, PaymentStatus, Role
from core.domain.text import Field, clean_text
from core.errors import Conflict, InvalidInput, NotFound
from core.models import AccountLink, CollectionTask, Payment, RosterRecord, School
from core.services import audit, payments
from core.services.schools import TaskView

PURPOSE = PaymentPurpose.OFFLINE_SHOOTING
MAX_PRICE_FEN = 100_000
"""1000 元: a price above it is a typing mistake, not a price."""
PRICE_TEXT = Field("价格", "Price", 16)
LIST_HEADER = ("院系", "班级", "姓名", "学号", "证件号后4位", "金额（元）", "支付时间", "订单号", "状态")
TEAM_ROLES = (Role.REGISTRAR, Role.SUPPORT, Role.ADMIN)
"""The on-site team: the school's registrar, and support who answer the students' calls."""


@pure
def parse_price_yuan(text: str) -> int | None:
    """A price typed in 元 ("30", "30.5", "¥30.50") as fen; blank means "not offered"."""
    cleaned = clean_text(text, PRICE_TEXT).replace("¥", "").replace("￥", "").replace("元", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput("价格请填写数字（元），如 30 或 30.50。", "Enter the price in yuan, e.g. 30 or 30.50.") from None
    fen = value * 100
    if fen != fen.to_integral_value() or not 0 < fen <= MAX_PRICE_FEN:
        raise InvalidInput("价格须在 0.01–1000 元之间，最多两位小数。",
                           "The price must be 0.01–1000 yuan with at most two decimals.")
    return int(fen)


@allowed(Role.ADMIN)
def set_price(session: Session, actor: Actor, task_id: int, price_yuan: str) -> TaskView:
    """Sets (or, with a blank price, withdraws) the task's on-site shooting price; audited."""
    task = session.get(CollectionTask, task_id)
    if task is None:
        raise NotFound("采集任务不存在。", "No such collection task.")
    price = parse_price_yuan(price_yuan)
    before = task.offline_price_fen
    task.offline_price_fen = price
    audit.record(session, actor, "offline_shooting.price", "collection_task", task.id, school_id=task.school_id,
                 before_fen=before, after_fen=price)
    session.flush()
    return TaskView.of(task)


@dataclass(frozen=True)
class Offer:
    """What the student's screen shows: the price, and their order if they have one."""

    task_title: str
    price_fen: int | None
    payment_id: int | None
    order_no: str | None
    status: PaymentStatus | None
    paid_at: datetime | None

    @property
    def offered(self) -> bool:
        return self.price_fen is not None

    @property
    def paid(self) -> bool:
        return self.status is PaymentStatus.PAID


def _own_link(session: Session, actor: Actor, link_id: int) -> AccountLink:
    link = session.get(AccountLink, link_id)
    if link is None or not link.active:
        raise NotFound("请先关联采集任务。", "Link your collection task first.")
    require_own(actor, link.account_id, "只能为本人的任务支付。", "You can only pay for your own task.")
    return link


def _latest(session: Session, link: AccountLink) -> Payment | None:
    return session.scalars(select(Payment).where(
        Payment.roster_record_id == link.roster_record_id, Payment.task_id == link.task_id,
        Payment.purpose == PURPOSE).order_by(
        (Payment.status == PaymentStatus.PAID).desc(), Payment.id.desc())).first()


@students_only
def offer(session: Session, actor: Actor, link_id: int) -> Offer:
    link = _own_link(session, actor, link_id)
    payment = _latest(session, link)
    return Offer(link.task.title, link.task.offline_price_fen, payment.id if payment else None,
                 payment.order_no if payment else None, payment.status if payment else None,
                 payment.paid_at if payment else None)


@students_only
def buy(session: Session, actor: Actor, link_id: int, provider: payments.PaymentProvider) -> Payment:
    """Pays for on-site shooting through the adapter. Paying twice is refused, never charged; a
    failed attempt is retried on the same order number. The link row is locked first, so two taps
    arriving together (two phones on one account) open one order between them, not two."""
    link = _own_link(session, actor, link_id)
    session.refresh(link, with_for_update=True)
    if link.task.offline_price_fen is None:
        raise Conflict("该采集任务未开通线下拍摄服务。", "This task offers no on-site shooting.")
    existing = _latest(session, link)
    if existing is not None and existing.status is PaymentStatus.PAID:
        raise Conflict("您已支付线下拍摄费用，无需重复支付。", "You have already paid for on-site shooting.",
                       order_no=existing.order_no)
    order = payments.open_order(session, actor, link, PURPOSE)
    if order.status is PaymentStatus.FAILED:
        return payments.retry_failed(session, actor, order, provider)
    return payments.pay(session, actor, order, provider)


@dataclass(frozen=True)
class PaidStudent:
    payment_id: int
    department: str
    class_name: str
    name: str
    student_number: str
    id_last4: str
    amount_fen: int
    paid_at: datetime | None
    order_no: str
    status: PaymentStatus

    @property
    def status_zh(self) -> str:
        return "已退款" if self.status is PaymentStatus.REFUNDED else "已支付"


@allowed(*TEAM_ROLES)
def paid_list(session: Session, actor: Actor, task_id: int, *, department: str = "", class_name: str = "",
              include_refunded: bool = False) -> list[PaidStudent]:
    """Who has paid for on-site shooting, by department, class and student number."""
    if session.get(CollectionTask, task_id) is None:
        raise NotFound("采集任务不存在。", "No such collection task.")
    statuses = (PaymentStatus.PAID, PaymentStatus.REFUNDED) if include_refunded else (PaymentStatus.PAID,)
    query = (select(Payment, RosterRecord).join(RosterRecord, RosterRecord.id == Payment.roster_record_id)
             .where(Payment.task_id == task_id, Payment.purpose == PURPOSE, Payment.status.in_(statuses))
             .order_by(RosterRecord.department, RosterRecord.class_name, RosterRecord.student_number))
    if department:
        query = query.where(RosterRecord.department == department)
    if class_name:
        query = query.where(RosterRecord.class_name == class_name)
    return [PaidStudent(p.id, r.department, r.class_name, r.name, r.student_number, r.id_last4, p.amount_fen,
                        p.paid_at, p.order_no, p.status) for p, r in session.execute(query).all()]


@allowed(*TEAM_ROLES)
def paid_list_file(session: Session, actor: Actor, task_id: int, fmt: str, *, department: str = "",
                   class_name: str = "") -> bytes:
    """The on-site team's list as XLSX or CSV (ID numbers last 4 only); the export is audited."""
    rows = paid_list(session, actor, task_id, department=department, class_name=class_name, include_refunded=True)
    task = session.get(CollectionTask, task_id)
    assert task is not None  # paid_list refused a missing task
    audit.record(session, actor, "offline_shooting.export", "collection_task", task_id, school_id=task.school_id,
                 rows=len(rows), format=fmt)
    return export.table_bytes(fmt, "线下拍摄交费名单", LIST_HEADER, (
        (r.department, r.class_name, r.name, r.student_number, r.id_last4, r.amount_fen / 100,
         r.paid_at, r.order_no, r.status_zh) for r in rows))


@allowed(*SUPPORT_ROLES)
def refund(session: Session, actor: Actor, payment_id: int, reason: str) -> payments.PaymentView:
    """Refunds an on-site shooting purchase (the reason is required and audited)."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.purpose is not PURPOSE:
        raise NotFound("线下拍摄订单不存在。", "No such on-site shooting order.")
    return payments.mark_refunded(session, actor, payment_id, reason)


@allowed(*SCHOOL_DATA_ROLES, Role.SUPPORT)
def departments_and_classes(session: Session, actor: Actor, task_id: int) -> list[tuple[str, str]]:
    """The department/class pairs of the task's paying students, for the page's filters."""
    rows = session.execute(select(RosterRecord.department, RosterRecord.class_name).distinct()
                           .join(Payment, Payment.roster_record_id == RosterRecord.id)
                           .where(Payment.task_id == task_id, Payment.purpose == PURPOSE)).all()
    return sorted((d or "", c or "") for d, c in rows)


@dataclass(frozen=True)
class TaskChoice:
    task_id: int
    school_name: str
    school_code: str
    title: str
    category_zh: str
    cohort: str
    price_fen: int | None


@allowed(*TEAM_ROLES)
def tasks(session: Session, actor: Actor, *, offered_only: bool = True) -> list[TaskChoice]:
    """The tasks the team may look at (a registrar: their school's), newest first; by default only
    those that offer on-site shooting. The admin sees every task, to set its price."""
    query = (select(CollectionTask, School).join(School, School.id == CollectionTask.school_id)
             .order_by(School.code, CollectionTask.closes_on.desc(), CollectionTask.id))
    scope = school_scope(actor)
    if scope is not None:
        query = query.where(CollectionTask.school_id == scope)
    if offered_only:
        query = query.where(CollectionTask.offline_price_fen.is_not(None))
    return [TaskChoice(t.id, s.name, s.code, t.title, t.category.label_zh, t.cohort, t.offline_price_fen)
            for t, s in session.execute(query).all()]
