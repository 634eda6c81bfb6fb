"""线下拍摄交费: the admin's price, the student's one purchase through the payment adapter, the
on-site team's list and export, and support's refund with a reason."""

from __future__ import annotations

import io
import threading

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.domain.enums import PaymentPurpose, PaymentStatus, Role
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.models import AuditEvent, Payment, School
from core.services import linking, offline_shooting, payments
from tests import factories as f


class CountingProvider(payments.DevelopmentProvider):
    def __init__(self, fail: bool = False) -> None:
        super().__init__(fail)
        self.charges: list[tuple[str, int]] = []

    def charge(self, order_no, amount_fen, description):
        self.charges.append((order_no, amount_fen))
        return super().charge(order_no, amount_fen, description)


def world(session, *, price: str = "30"):
    school = f.make_school(session)
    other = f.make_school(session, code="10487", name="华中科技大学")
    task = f.make_task(session, school)
    admin = f.actor_of(f.make_staff(session, Role.ADMIN))
    if price:
        offline_shooting.set_price(session, admin, task.id, price)
    record = f.make_record(session, school, 1)
    record.department, record.class_name = "计算机学院", "计科2101"
    student = f.make_linked_student(session, task, record, paid=False)
    registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school))
    stranger = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.hust", school=other))
    support = f.actor_of(f.make_staff(session, Role.SUPPORT))
    return task, admin, student, registrar, stranger, support


@pytest.mark.parametrize(("text", "fen"), [("30", 3000), ("30.5", 3050), ("￥12.30元", 1230), ("", None)])
def test_price_is_typed_in_yuan(text, fen):
    assert offline_shooting.parse_price_yuan(text) == fen


@pytest.mark.parametrize("text", ["abc", "0", "-5", "30.555", "1000.01"])
def test_a_price_that_is_not_a_price_is_refused(text):
    with pytest.raises(InvalidInput):
        offline_shooting.parse_price_yuan(text)


def test_only_an_admin_sets_the_price_and_it_is_audited(db):
    with db.session() as session:
        task, admin, _, registrar, _, _ = world(session, price="")
        with pytest.raises(AccessDenied):
            offline_shooting.set_price(session, registrar, task.id, "20")
        task = offline_shooting.set_price(session, admin, task.id, "45.00")
        assert task.offline_price_fen == 4500
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "offline_shooting.price")
                                .order_by(AuditEvent.id.desc())).first()
        assert event is not None and event.detail["after_fen"] == 4500


def test_the_student_buys_once_through_the_adapter_at_the_task_price(db):
    provider = CountingProvider()
    with db.session() as session:
        _task, _, student, _, _, _ = world(session)
        assert not offline_shooting.offer(session, student.actor, student.link.id).paid
        paid = offline_shooting.buy(session, student.actor, student.link.id, provider)
        assert paid.status is PaymentStatus.PAID and paid.amount_fen == 3000
        assert paid.purpose is PaymentPurpose.OFFLINE_SHOOTING
        with pytest.raises(Conflict):
            offline_shooting.buy(session, student.actor, student.link.id, provider)
        assert provider.charges == [(paid.order_no, 3000)]
        offer = offline_shooting.offer(session, student.actor, student.link.id)
        assert offer.paid and offer.order_no == paid.order_no
        assert not linking.is_paid(session, student.link), "on-site shooting is not the online task fee"


def test_a_failed_charge_is_retried_on_the_same_order(db):
    with db.session() as session:
        _, _, student, _, _, _ = world(session)
        failed = offline_shooting.buy(session, student.actor, student.link.id, payments.DevelopmentProvider(fail=True))
        assert failed.status is PaymentStatus.FAILED
        paid = offline_shooting.buy(session, student.actor, student.link.id, payments.DevelopmentProvider())
        assert paid.id == failed.id and paid.status is PaymentStatus.PAID
        assert session.scalars(select(Payment).where(Payment.purpose == PaymentPurpose.OFFLINE_SHOOTING)).all() == [paid]


def test_a_task_without_a_price_offers_nothing_and_staff_cannot_buy(db):
    with db.session() as session:
        _, _, student, registrar, _, _ = world(session, price="")
        assert not offline_shooting.offer(session, student.actor, student.link.id).offered
        with pytest.raises(Conflict):
            offline_shooting.buy(session, student.actor, student.link.id, payments.DevelopmentProvider())
        with pytest.raises(AccessDenied):
            offline_shooting.buy(session, registrar, student.link.id, payments.DevelopmentProvider())


def test_another_student_cannot_buy_on_my_link(db):
    with db.session() as session:
        task, _, student, _, _, _ = world(session)
        other = f.make_linked_student(session, task, f.make_record(session, session.get(School, task.school_id), 2, name="张三"), paid=False)
        with pytest.raises(AccessDenied):
            offline_shooting.buy(session, other.actor, student.link.id, payments.DevelopmentProvider())


def test_the_team_list_by_department_and_class_and_its_export(db):
    with db.session() as session:
        task, _, student, registrar, stranger, support = world(session)
        offline_shooting.buy(session, student.actor, student.link.id, payments.DevelopmentProvider())
        unpaid = f.make_linked_student(session, task, f.make_record(session, session.get(School, task.school_id), 2, name="张三"), paid=False)
        assert unpaid
        rows = offline_shooting.paid_list(session, registrar, task.id)
        assert [(r.department, r.class_name, r.name, r.id_last4) for r in rows] == [
            ("计算机学院", "计科2101", "丁白云", student.record.id_last4)]
        assert offline_shooting.paid_list(session, support, task.id, department="外语学院") == []
        assert offline_shooting.departments_and_classes(session, registrar, task.id) == [("计算机学院", "计科2101")]
        with pytest.raises(AccessDenied):
            offline_shooting.paid_list(session, stranger, task.id)
        with pytest.raises(AccessDenied):
            offline_shooting.paid_list_file(session, stranger, task.id, "xlsx")
        data = offline_shooting.paid_list_file(session, registrar, task.id, "xlsx")
        sheet = load_workbook(io.BytesIO(data)).active
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        assert values[0][:5] == ["院系", "班级", "姓名", "学号", "证件号后4位"]
        assert values[1][2] == "丁白云" and values[1][4] == student.record.id_last4 and values[1][5] == 30
        assert student.record.id_number not in str(values)
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "offline_shooting.export"))


def test_support_refunds_with_a_reason_and_it_is_audited(db):
    with db.session() as session:
        task, _, student, registrar, _, support = world(session)
        paid = offline_shooting.buy(session, student.actor, student.link.id, payments.DevelopmentProvider())
        with pytest.raises(InvalidInput):
            offline_shooting.refund(session, support, paid.id, "   ")
        assert paid.status is PaymentStatus.PAID
        with pytest.raises(AccessDenied):
            offline_shooting.refund(session, registrar, paid.id, "学生未到场")
        refunded = offline_shooting.refund(session, support, paid.id, "学生转为线上采集")
        assert refunded.status is PaymentStatus.REFUNDED and refunded.id == paid.id
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "payment.refund")).one()
        assert event.detail["reason"] == "学生转为线上采集" and event.actor_name == "Support"
        assert offline_shooting.paid_list(session, registrar, task.id) == []
        assert [r.status_zh for r in offline_shooting.paid_list(session, registrar, task.id, include_refunded=True)] \
            == ["已退款"]


def test_refund_only_touches_on_site_shooting_orders(db):
    with db.session() as session:
        _task, _, student, _, _, support = world(session)
        order = payments.open_order(session, student.actor, student.link, PaymentPurpose.TASK_FEE)
        payments.pay(session, student.actor, order, payments.DevelopmentProvider())
        with pytest.raises(NotFound):
            offline_shooting.refund(session, support, order.id, "误操作")
        assert order.status is PaymentStatus.PAID


def test_taps_arriving_together_charge_once(db):
    provider = CountingProvider()
    with db.session() as session:
        _, _, student, _, _, _ = world(session)
        actor, link_id = student.actor, student.link.id
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def tap() -> None:
        barrier.wait()
        try:
            with db.session() as session:
                offline_shooting.buy(session, actor, link_id, provider)
            result = "paid"
        except Conflict:
            result = "already paid"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already paid"] * 3 + ["paid"]
    assert len(provider.charges) == 1
    with db.session() as session:
        assert len(session.scalars(select(Payment).where(Payment.purpose == PaymentPurpose.OFFLINE_SHOOTING)).all()) == 1
