"""The steps the student app needs beyond the API's: sign-in without a token, the identity lock,
the linked task and its school's make-up points, paying through the adapter (and its development
failure), the on-site shooting fee, the capture in progress and the unread count — each scoped to the
student actor, on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.access import Actor
from core.domain.enums import PaymentPurpose, PaymentStatus, Role
from core.errors import AccessDenied, Conflict
from core.models import StudentAccount, utcnow
from core.services import notifications, offline_shooting, schools, student_app
from tests import factories as f


def test_the_app_signs_in_by_nickname_without_a_token(db):
    with db.session() as session:
        first = student_app.sign_in_app(session, "小丁")
        again = student_app.sign_in_app(session, "小丁")
        other = student_app.sign_in_app(session, "小王")
    assert student_app.development_identity()
    assert first.id == again.id != other.id and first.nickname == "小丁" and not first.notice_acknowledged


def test_the_identity_lock_is_told_only_while_it_holds(db):
    with db.session() as session:
        account = student_app.sign_in_app(session, "小丁")
        actor = Actor.student(account.id, account.nickname)
        assert student_app.identity_locked_until(session, actor) is None
        row = session.get(StudentAccount, account.id)
        row.verification_locked_until = utcnow() + timedelta(hours=3)
        session.flush()
        until = student_app.identity_locked_until(session, actor)
        assert until is not None and until > utcnow()
        assert student_app.identity_locked_until(session, actor, now=utcnow() + timedelta(hours=4)) is None


def test_nothing_is_linked_before_the_student_links(db):
    with db.session() as session:
        account = student_app.sign_in_app(session, "小丁")
        actor = Actor.student(account.id, account.nickname)
        assert student_app.linked_task(session, actor) is None
        assert student_app.own_makeup_points(session, actor) is None
        assert student_app.offline_offer(session, actor) is None
        assert student_app.unread_count(session, actor) == 0


def test_an_unknown_account_is_refused(db):
    with db.session() as session, pytest.raises(AccessDenied):
        student_app.unread_count(session, Actor.student(99999, "nobody"))


def test_linked_task_make_up_points_and_unread_messages(db):
    with db.session() as session:
        school = schools.create_school(session, f.SYSTEM, code="10486", name="武汉大学", makeup_points=[
            {"name": "图书馆 101", "address": "珞珈山路 1 号", "hours": "9:00-17:00"}])
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school), paid=False)
        linked = student_app.linked_task(session, student.actor)
        assert linked is not None and linked.id == task.id
        points = student_app.own_makeup_points(session, student.actor)
        assert points is not None and points.school_name == "武汉大学"
        assert [(p.name, p.address, p.hours) for p in points.points] == [("图书馆 101", "珞珈山路 1 号", "9:00-17:00")]
        notifications.notify(session, student.record.id, "review", "审核通过", "您的照片已通过审核。")
        assert student_app.unread_count(session, student.actor) == 1
        assert student_app.current_capture(session, student.actor) is None


def test_paying_through_the_adapter_a_failure_then_the_same_order_paid_once(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school), paid=False)
        failed = student_app.pay(session, student.actor, PaymentPurpose.TASK_FEE, simulate_failure=True)
        assert failed.status is PaymentStatus.FAILED
        paid = student_app.pay(session, student.actor, PaymentPurpose.TASK_FEE)
        assert paid.status is PaymentStatus.PAID and paid.amount_fen == task.price_fen
        with pytest.raises(Conflict):
            student_app.pay(session, student.actor, PaymentPurpose.TASK_FEE)
        assert student_app.status(session, student.actor).paid


def test_the_on_site_shooting_fee_is_offered_and_bought(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        offline_shooting.set_price(session, f.actor_of(f.make_staff(session, Role.ADMIN)), task.id, "30")
        student = f.make_linked_student(session, task, f.make_record(session, school))
        offer = student_app.offline_offer(session, student.actor)
        assert offer is not None and offer.offered and not offer.paid and offer.price_fen == 3000
        order = student_app.buy_offline(session, student.actor)
        assert order.status is PaymentStatus.PAID and order.purpose is PaymentPurpose.OFFLINE_SHOOTING
        offer = student_app.offline_offer(session, student.actor)
        assert offer is not None and offer.paid and offer.order_no == order.order_no


def test_the_rules_carry_the_chsi_delay_and_the_contacts(db):
    with db.session() as session:
        rules = student_app.rules(session)
    assert rules.chsi_upload_days == "7-10" and rules.contacts.hotline in rules.contacts.support_line_zh
