"""Payments: one order per intent, reused on retry; a paid order is never charged again."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from core.domain.enums import PaymentPurpose, PaymentStatus, QuotaKind, Role
from core.errors import AccessDenied, Conflict
from core.models import AccountLink, Payment, QuotaEntry
from core.services import payments
from tests import factories as f


class CountingProvider(payments.DevelopmentProvider):
    """The development adapter, counting the charges that reach it."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(fail)
        self.charges: list[str] = []

    def charge(self, order_no, amount_fen, description):
        self.charges.append(order_no)
        return super().charge(order_no, amount_fen, description)


def unpaid_student(session):
    school = f.make_school(session)
    task = f.make_task(session, school)
    return f.make_linked_student(session, task, f.make_record(session, school, 1), paid=False)


def test_the_task_fee_is_charged_once_even_when_paid_twice(db):
    provider = CountingProvider()
    with db.session() as session:
        student = unpaid_student(session)
        order = payments.open_order(session, student.actor, student.link, PaymentPurpose.TASK_FEE)
        payments.pay(session, student.actor, order, provider)
        again = payments.open_order(session, student.actor, student.link, PaymentPurpose.TASK_FEE)
        payments.pay(session, student.actor, again, provider)
        assert again.id == order.id and provider.charges == [order.order_no]
        assert order.amount_fen == 2500 and order.status is PaymentStatus.PAID


def test_task_fee_taps_arriving_together_open_one_order_and_charge_once(db):
    """Two phones on one account (or a double tap) pay at the same moment: on PostgreSQL each
    transaction saw no order and opened its own, and each was charged, until the link row was locked."""
    provider = CountingProvider()
    with db.session() as session:
        student = unpaid_student(session)
        actor, link_id = student.actor, student.link.id
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def tap() -> None:
        barrier.wait()
        try:
            with db.session() as session:
                link = session.get(AccountLink, link_id)
                order = payments.open_order(session, actor, link, PaymentPurpose.TASK_FEE)
                payments.pay(session, actor, order, provider)
        except BaseException as exc:  # a failed tap must fail the test, not vanish in its thread
            errors.append(exc)

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(provider.charges) == 1
    with db.session() as session:
        orders = session.scalars(select(Payment).where(Payment.purpose == PaymentPurpose.TASK_FEE)).all()
        assert [o.status for o in orders] == [PaymentStatus.PAID]


def test_a_failed_charge_is_retried_on_the_same_order_number(db):
    with db.session() as session:
        student = unpaid_student(session)
        order = payments.open_order(session, student.actor, student.link, PaymentPurpose.TASK_FEE)
        payments.pay(session, student.actor, order, payments.DevelopmentProvider(fail=True))
        assert order.status is PaymentStatus.FAILED and order.failure_reason
        retry = payments.open_order(session, student.actor, student.link, PaymentPurpose.TASK_FEE)
        assert retry.id == order.id
        payments.pay(session, student.actor, retry, payments.DevelopmentProvider())
        assert order.status is PaymentStatus.PAID and order.failure_reason is None
        assert session.scalar(select(Payment.id).where(Payment.id != order.id)) is None


def test_retry_failed_resets_and_pays_the_same_order(db):
    with db.session() as session:
        student = unpaid_student(session)
        order = payments.open_order(session, student.actor, student.link, PaymentPurpose.TASK_FEE)
        payments.pay(session, student.actor, order, payments.DevelopmentProvider(fail=True))
        payments.retry_failed(session, student.actor, order, payments.DevelopmentProvider())
        assert order.status is PaymentStatus.PAID and order.failure_reason is None


def test_an_extra_submission_costs_one_yuan_and_adds_one_to_the_ledger(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school, 1))
        order = payments.open_order(session, student.actor, student.link, PaymentPurpose.EXTRA_SUBMISSION)
        payments.pay(session, student.actor, order, payments.DevelopmentProvider())
        payments.pay(session, student.actor, order, payments.DevelopmentProvider())
        assert order.amount_fen == 100
        entries = session.scalars(select(QuotaEntry).where(QuotaEntry.kind == QuotaKind.SUBMISSION)).all()
        assert [(e.entry_type, e.payment_id) for e in entries] == [("purchase", order.id)]


def test_someone_else_cannot_pay_for_a_students_task(db):
    with db.session() as session:
        student = unpaid_student(session)
        stranger = f.make_linked_student(session, student.task, f.make_record(session, student.record.school, 2),
                                         paid=False)
        with pytest.raises(AccessDenied):
            payments.open_order(session, stranger.actor, student.link, PaymentPurpose.TASK_FEE)


def test_a_refunded_order_is_not_charged_again(db):
    with db.session() as session:
        student = unpaid_student(session)
        order = payments.open_order(session, student.actor, student.link, PaymentPurpose.TASK_FEE)
        payments.pay(session, student.actor, order, payments.DevelopmentProvider())
        support = f.actor_of(f.make_staff(session, Role.SUPPORT))
        payments.mark_refunded(session, support, order.id, "重复支付")
        with pytest.raises(Conflict):
            payments.pay(session, student.actor, order, payments.DevelopmentProvider())
