"""其他服务 · 线下拍摄交费 on the real student app: link, then buy on-site shooting once."""

from __future__ import annotations

from sqlalchemy import select

from core.domain.enums import PaymentPurpose, PaymentStatus
from core.models import CollectionTask, Payment
from tests.student.conftest import at_identity_check, fill_identity, signed_in, texts


def to_offline(at):
    at.button(key="home_services").click().run()
    at.button(key="svc_offline").click().run()
    return at


def test_unlinked_student_is_told_to_link_first(student_app, seeded, db):
    s = seeded()
    with db.session() as session:
        session.get(CollectionTask, s.task_id).offline_price_fen = 3000
    at = to_offline(signed_in(student_app()))
    assert not at.exception
    assert "请先在首页“去采集”中查找学校并关联采集任务" in texts(at)
    assert not [b for b in at.button if b.key == "offline_pay"]


def test_linked_student_buys_on_site_shooting_once(db, student_app, seeded):
    s = seeded()
    with db.session() as session:
        session.get(CollectionTask, s.task_id).offline_price_fen = 3000
    at = student_app()
    signed_in(at)
    at_identity_check(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    at.button(key="confirm_link").click().run()
    at.button(key="back_pay").click().run()
    to_offline(at)
    assert "仅限参加学校线下现场采集的同学使用" in texts(at)
    assert "¥30.00" in at.button(key="offline_pay").label
    at.checkbox(key="pay_fail").check()
    at.button(key="offline_pay").click().run()
    assert "支付未完成" in at.error[0].value
    at.checkbox(key="pay_fail").uncheck()
    at.button(key="offline_pay").click().run()
    assert not at.exception
    with db.session() as session:
        [order] = session.scalars(select(Payment)).all()
        assert (order.purpose, order.status, order.amount_fen) == (
            PaymentPurpose.OFFLINE_SHOOTING, PaymentStatus.PAID, 3000)
        order_no = order.order_no
    assert f"已支付（订单号 {order_no}" in texts(at)
    assert not [b for b in at.button if b.key == "offline_pay"], "paid: nothing left to pay"


def test_a_task_without_on_site_shooting_says_so(db, student_app, seeded):
    s = seeded()
    at = student_app()
    signed_in(at)
    at_identity_check(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    at.button(key="confirm_link").click().run()
    at.button(key="back_pay").click().run()
    to_offline(at)
    assert "该采集任务未开通线下拍摄服务" in texts(at)
