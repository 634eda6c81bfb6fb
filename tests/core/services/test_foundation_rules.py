"""Issue 2's refusals through the services: linking, access, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.domain.access import Actor
from core.domain.enums import ActorKind, QuotaKind, Role
from core.errors import AccessDenied, LinkRefused
from core.models import AccountLink, AuditEvent
from core.services import linking, overview, quotas, roster
from tests import factories as f


def test_second_wechat_account_on_one_record_is_refused(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school)
        f.make_linked_student(session, task, record, openid="wx-first")
        other = linking.sign_in(session, "wx-second", "借用的手机")
        outcome = linking.verify_identity(session, other, task.id, name=record.name,
                                          student_number=record.student_number, id_last4=record.id_last4, code=None)
        assert outcome.record is None
        assert "其他微信号" in outcome.error.message_zh
        with pytest.raises(LinkRefused):
            linking.link_account(session, other, task.id, record, code=None)
    with db.session() as session:
        assert session.scalars(select(AccountLink).where(AccountLink.active.is_(True))).all().__len__() == 1


def test_record_with_chsi_photo_or_onsite_collection_cannot_link(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        has_photo = f.make_record(session, school, 1, has_chsi_photo=True)
        onsite = f.make_record(session, school, 2, onsite_collected=True)
        account = linking.sign_in(session, "wx-1", "同学")
        for record in (has_photo, onsite):
            outcome = linking.verify_identity(session, account, task.id, name=record.name,
                                              student_number=record.student_number, id_last4=record.id_last4, code=None)
            assert "无需再拍摄" in outcome.error.message_zh


def test_failed_checks_lock_identity_verification(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school)
        account = linking.sign_in(session, "wx-1", "同学")
        for _ in range(5):
            outcome = linking.verify_identity(session, account, task.id, name="别人", student_number=record.student_number,
                                              id_last4=record.id_last4, code=None)
            assert "学籍部门" in outcome.error.message_zh
        right = linking.verify_identity(session, account, task.id, name=record.name,
                                        student_number=record.student_number, id_last4=record.id_last4, code=None)
        assert right.record is None and "24 小时" in right.error.message_zh


def test_paid_link_cannot_be_unbound_by_the_student_only_by_support_with_reason(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school), paid=True)
        with pytest.raises(LinkRefused) as refused:
            linking.unbind(session, student.actor, student.link.id)
        assert "不能自行解绑" in refused.value.message_zh
        support = f.actor_of(f.make_staff(session, Role.SUPPORT))
        linking.unbind(session, support, student.link.id, reason="学生更换微信号，身份已核实")
        assert not student.link.active
        assert audit_actions(session) [-1] == "link.unbind"


def test_unpaid_link_can_be_unbound_by_the_student(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school), paid=False)
        linking.unbind(session, student.actor, student.link.id)
        assert not student.link.active


def test_registrar_cannot_read_or_change_another_school(db):
    with db.session() as session:
        mine = f.make_school(session, "10486", "武汉大学")
        theirs = f.make_school(session, "10487", "华中科技大学")
        other_record = f.make_record(session, theirs, 7)
        f.make_record(session, mine, 1)
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=mine))
        with pytest.raises(AccessDenied):
            roster.import_roster(session, registrar, theirs.id, "姓名,学号\n".encode(), "r.csv")
        with pytest.raises(AccessDenied):
            quotas.grant(session, registrar, other_record.id, QuotaKind.SUBMISSION, "想帮忙")
        assert overview.state_counts(session, registrar).roster_records == 1
        admin = Actor(kind=ActorKind.STAFF, id=None, name="admin", role=Role.ADMIN)
        assert overview.state_counts(session, admin).roster_records == 2


def test_audit_log_refuses_changes_and_deletes(db):
    with db.session() as session:
        f.make_school(session)
    with pytest.raises(AccessDenied), db.session() as session:
        event = session.scalars(select(AuditEvent)).first()
        event.action = "nothing.happened"
        session.flush()
    with pytest.raises(AccessDenied), db.session() as session:
        session.delete(session.scalars(select(AuditEvent)).first())
        session.flush()
    with db.session() as session:
        assert [e.action for e in session.scalars(select(AuditEvent))] == ["school.create"]


def audit_actions(session):
    return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET action = 'nothing.happened'", "DELETE FROM audit_event"])
def test_audit_log_refuses_raw_sql_rewrites_too(db, statement):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with db.session() as session:
        f.make_school(session)
    with pytest.raises(DBAPIError) as refused, db.session() as session:
        session.execute(text(statement))
    assert "append-only" in str(refused.value)
    with db.session() as session:
        assert audit_actions(session) == ["school.create"]
