"""第八步: paying the task price through the payment adapter; idempotent retry; unbinding rules."""

from __future__ import annotations

from sqlalchemy import select

from core.domain.enums import PaymentPurpose, PaymentStatus
from core.models import AccountLink, Payment
from tests.student.conftest import at_identity_check, fill_identity, signed_in, texts


def linked(at, s):
    signed_in(at)
    at_identity_check(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    at.button(key="confirm_link").click().run()
    return at


def test_paying_records_the_order_and_opens_the_camera(db, student_app, seeded):
    s = seeded()
    at = linked(student_app(), s)
    assert "¥25.00" in at.button(key="pay").label
    at.button(key="pay").click().run()
    with db.session() as session:
        order = session.scalar(select(Payment))
        assert order.status is PaymentStatus.PAID and order.amount_fen == 2500
        assert order.purpose is PaymentPurpose.TASK_FEE and order.provider_ref == f"DEV-{order.order_no}"
        order_no = order.order_no
    assert f"支付成功，订单号 {order_no}" in at.success[0].value
    assert at.camera_input


def test_a_failed_payment_says_what_to_do_and_the_retry_pays_the_same_order(db, student_app, seeded):
    s = seeded()
    at = linked(student_app(), s)
    at.checkbox(key="pay_fail").check()
    at.button(key="pay").click().run()
    assert "支付未完成" in at.error[0].value and "解绑" in at.error[0].value
    with db.session() as session:
        failed = session.scalar(select(Payment))
        assert failed.status is PaymentStatus.FAILED
        failed_order_no = failed.order_no
    at.checkbox(key="pay_fail").uncheck()
    at.button(key="pay").click().run()
    with db.session() as session:
        orders = session.scalars(select(Payment)).all()
        assert [(o.order_no, o.status) for o in orders] == [(failed_order_no, PaymentStatus.PAID)]


def test_paying_again_on_a_stale_screen_never_charges_twice(db, student_app, seeded):
    s = seeded()
    at = linked(student_app(), s)
    second_phone = signed_in(student_app())
    second_phone.button(key="home_collect").click().run()
    at.button(key="pay").click().run()
    second_phone.button(key="pay").click().run()
    with db.session() as session:
        orders = session.scalars(select(Payment)).all()
        assert len(orders) == 1 and orders[0].status is PaymentStatus.PAID


def test_unpaid_link_can_be_unbound_by_the_student_but_not_once_paid(db, student_app, seeded):
    s = seeded()
    at = linked(student_app(), s)
    at.button(key="back_pay").click().run()
    assert "尚未支付采集费用" in texts(at)
    at.button(key="home_unbind").click().run()
    with db.session() as session:
        assert not session.scalar(select(AccountLink)).active
    assert "尚未关联采集任务" in texts(at)

    at = linked(student_app(), s)
    at.button(key="pay").click().run()
    at.button(key="back_capture").click().run()
    assert "home_unbind" not in [b.key for b in at.button]
